//! Why a campaign file cannot be used: shared by the campaign and the parts
//! it compiles (calendar, zones), which report their own problems.

/// Why a campaign file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CampaignError {
    /// The JSON does not have the campaign shape.
    #[error("the campaign is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// The time zone is not an IANA name.
    #[error("unknown time zone {0:?}; use an IANA name such as Europe/Brussels")]
    TimeZone(String),
    /// A field holds a value outside its meaningful range.
    #[error("{field}: {problem}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A zone could not be compiled.
    #[error("zone {name:?}: {problem}")]
    Zone {
        /// The zone's name or index.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl CampaignError {
    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), problem: problem.into() }
    }
}
