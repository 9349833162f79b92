//! When rides count: weekly windows in the campaign's time zone, non-school days
//! and holidays.
//!
//! Every check here works on local civil time obtained from the ride's own UTC
//! timestamps through the IANA zone (chrono-tz's compiled-in database, so the
//! library does no I/O), which makes daylight-saving changes a non-event: a
//! 07:00–09:00 window means 07:00–09:00 on the school's wall clock all year.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::campaign_error::CampaignError;

/// The weekly timetable and the days off, as written in the campaign file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Windows per weekday; a day without windows earns nothing.
    pub windows: WeeklyWindows,
    /// Single days without school (local dates).
    #[serde(default)]
    pub non_school_days: Vec<NaiveDate>,
    /// Holiday ranges (inclusive local dates).
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Windows for each day of the week.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the seven fields are the seven weekdays
pub struct WeeklyWindows {
    pub mon: Vec<Window>,
    pub tue: Vec<Window>,
    pub wed: Vec<Window>,
    pub thu: Vec<Window>,
    pub fri: Vec<Window>,
    pub sat: Vec<Window>,
    pub sun: Vec<Window>,
}

impl WeeklyWindows {
    fn day(&self, weekday: Weekday) -> &[Window] {
        match weekday {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    fn all(&self) -> impl Iterator<Item = &Window> {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun].into_iter().flatten()
    }
}

/// A named holiday range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// Shown to students, e.g. "Christmas holidays".
    pub name: String,
    /// First day off.
    pub from: NaiveDate,
    /// Last day off (inclusive).
    pub until: NaiveDate,
}

/// A time window on one weekday and what a ride in it must do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Local start time, `HH:MM`.
    pub from: LocalTime,
    /// Local end time, `HH:MM` (`24:00` for end of day).
    pub until: LocalTime,
    /// Which way the ride must go.
    pub direction: Direction,
}

/// What a ride in a window must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Arrive at a school within the window (the ride's end time is in it).
    ToSchool,
    /// Leave a school within the window (the ride's start time is in it).
    FromSchool,
    /// Any ride starting within the window, no school needed.
    Free,
}

impl Window {
    /// Whether a ride from `start` to `end` (seconds since local midnight of the
    /// start day; `end` may exceed a day) falls in this window.
    fn matches(&self, start_s: u32, end_s: u32) -> bool {
        let at = match self.direction {
            Direction::ToSchool => end_s,
            Direction::FromSchool | Direction::Free => start_s,
        };
        (self.from.seconds()..=self.until.seconds()).contains(&at)
    }
}

/// A wall-clock time `HH:MM`, `00:00` to `24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime {
    minutes: u16,
}

impl LocalTime {
    fn seconds(self) -> u32 {
        u32::from(self.minutes) * 60
    }
}

impl TryFrom<String> for LocalTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let parsed = text.split_once(':').and_then(|(h, m)| {
            let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
            (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
        });
        parsed
            .filter(|_| text.len() == 5)
            .map(|minutes| Self { minutes })
            .ok_or_else(|| format!("{text:?} is not a time of day HH:MM between 00:00 and 24:00"))
    }
}

impl From<LocalTime> for String {
    fn from(time: LocalTime) -> Self {
        format!("{:02}:{:02}", time.minutes / 60, time.minutes % 60)
    }
}

impl std::fmt::Display for LocalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// The compiled calendar: zone, windows and sorted days off.
#[derive(Debug)]
pub(crate) struct Calendar {
    zone: Tz,
    windows: WeeklyWindows,
    non_school_days: Vec<NaiveDate>,
    holidays: Vec<Holiday>,
}

/// How a ride's times relate to the calendar.
pub(crate) enum CalendarVerdict<'a> {
    /// The start day is a listed non-school day or inside a holiday.
    NotSchoolDay(String),
    /// No window of that weekday contains the ride.
    OutsideWindows { weekday: Weekday, windows: &'a [Window] },
    /// The ride falls in these windows (at least one).
    InWindows(Vec<&'a Window>),
}

impl Calendar {
    pub(crate) fn new(zone: &str, schedule: &Schedule) -> Result<Self, CampaignError> {
        let zone: Tz = zone.parse().map_err(|_| CampaignError::TimeZone(zone.to_owned()))?;
        if let Some(window) = schedule.windows.all().find(|w| w.from >= w.until) {
            return Err(CampaignError::invalid(
                "schedule.windows",
                format!("window {}–{} ends before it starts", window.from, window.until),
            ));
        }
        if let Some(holiday) = schedule.holidays.iter().find(|h| h.from > h.until) {
            return Err(CampaignError::invalid(
                "schedule.holidays",
                format!("{:?} ends before it starts", holiday.name),
            ));
        }
        let mut non_school_days = schedule.non_school_days.clone();
        non_school_days.sort_unstable();
        Ok(Self { zone, windows: schedule.windows.clone(), non_school_days, holidays: schedule.holidays.clone() })
    }

    /// Whether any window needs the ride to start or end at a school.
    pub(crate) fn requires_school(&self) -> bool {
        self.windows.all().any(|w| w.direction != Direction::Free)
    }

    /// Local wall-clock time of an instant.
    pub(crate) fn local(&self, t_ms: i64) -> NaiveDateTime {
        DateTime::from_timestamp_millis(t_ms).unwrap_or_default().with_timezone(&self.zone).naive_local()
    }

    /// Places a ride in the calendar, by its local start and end.
    pub(crate) fn place(&self, start: NaiveDateTime, end: NaiveDateTime) -> CalendarVerdict<'_> {
        let day = start.date();
        if self.non_school_days.binary_search(&day).is_ok() {
            return CalendarVerdict::NotSchoolDay(format!("{day} is not a school day"));
        }
        if let Some(holiday) = self.holidays.iter().find(|h| (h.from..=h.until).contains(&day)) {
            return CalendarVerdict::NotSchoolDay(format!("{day} falls in the {}", holiday.name));
        }
        let start_s = start.num_seconds_from_midnight();
        let days_later = u32::try_from((end.date() - day).num_days()).unwrap_or(0);
        let end_s = end.num_seconds_from_midnight() + days_later * 86_400;
        let windows = self.windows.day(day.weekday());
        let matching: Vec<&Window> = windows.iter().filter(|w| w.matches(start_s, end_s)).collect();
        if matching.is_empty() {
            CalendarVerdict::OutsideWindows { weekday: day.weekday(), windows }
        } else {
            CalendarVerdict::InWindows(matching)
        }
    }
}
