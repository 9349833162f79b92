#!/usr/bin/env python3
"""Build /work/research/eval-set from /work/research/issue11-data. Deterministic; rerun overwrites trips/."""
import csv, os, re, sys, shutil, subprocess, math, json, collections
sys.path.insert(0, os.path.dirname(__file__))
import trklib

SRC = '/work/research/issue11-data'
OUT = '/work/research/eval-set'
TRIPS = f'{OUT}/trips'
MIN_DUR_S, MIN_PATH_M = 180, 300
TARGET_BIKE, TARGET_WALK = 45, 45
MOTOR_CAP_BYTES = 3 * 1024 * 1024
SIZE_PREF_BYTES = int(os.environ.get('SIZE_PREF_KB', '60')) * 1024

rows = []     # label rows
meta = []     # extra per-trip info for SUMMARY / verification
excluded = [] # (source, item, reason)

def slug(s):
    s = re.sub(r'[^a-z0-9_-]+', '-', s.lower()).strip('-')
    return s

def emit(source, trip, kept, dropped, mode, label, person, place, st, extra=''):
    os.makedirs(f'{TRIPS}/{source}', exist_ok=True)
    fn = f'{source}/{trip}.csv'
    trklib.write_csv(f'{TRIPS}/{fn}', kept)
    rows.append(dict(file=fn, mode=mode, label=label, person=person, place=place, source=source, dropped_fixes=dropped))
    meta.append(dict(file=fn, mode=mode, source=source, person=person, note=extra, **{k: v for k, v in st.items()}))

def usable(st):
    if st['fixes'] < 2: return 'fewer than 2 fixes'
    if st['dur_s'] < MIN_DUR_S: return f"duration {st['dur_s']:.0f} s < 180 s"
    if st['path_m'] < MIN_PATH_M: return f"path {st['path_m']:.0f} m < 300 m"
    return None

# ---------------------------------------------------------------- clean fixture sources
# (source, src_dir, file, mode, label, person, place)
FIXTURES = [
 ('fitparse', 'python-fitparse-fixtures', '2015-10-13-08-43-15.fit', 'bike', 'cycling', 'fitparse', 'Portland OR / USA'),
 ('fitparse', 'python-fitparse-fixtures', '2019-02-17-062644-ELEMNT-297E-195-0.fit', 'bike', 'cycling', 'fitparse', 'Shanghai / China'),
 ('fitparse', 'python-fitparse-fixtures', 'Edge810-Vector-2013-08-16-15-35-10.fit', 'bike', 'cycling', 'fitparse', "St. John's NL / Canada"),
 ('fitparse', 'python-fitparse-fixtures', 'garmin-edge-500-activity.fit', 'bike', 'cycling', 'fitparse', 'Toronto / Canada'),
 ('fitparse', 'python-fitparse-fixtures', 'sample-activity.fit', 'bike', 'cycling', 'fitparse', 'Toronto / Canada'),
 ('fitparse', 'python-fitparse-fixtures', 'garmin-fenix-5-walk.fit', 'walk', 'walking', 'fitparse', 'Petaluma CA / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20191117_bike_wahoo_elemnt.fit', 'bike', 'cycling', 'msimms-p1', 'Sebastian area FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20190602_bike_garmin_fenix_3_hr.gpx', 'bike', 'cycling', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20111211_trail_ride_garmin_edge_705.tcx', 'bike', 'biking', 'msimms-p1', 'Brevard County FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20140530_hike_garmin_fr910xt.fit', 'walk', 'hiking', 'msimms-p1', 'Asheville area NC / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', 'hike_01_iphone.gpx', 'walk', 'hiking', 'msimms-p1', 'Montana / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20181108_run_garmin_fenix_3_hr.fit', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20200813_run_garmin_fenix_6.fit', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20210507_run_garmin_fenix_6.fit', 'run', 'running', 'msimms-p1', 'Brevard County FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20210604_track_run_garmin_fenix_6.fit', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20170308_intra_run_club.gpx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20180831_beach_run_runkeeper.gpx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20210119_run_garmin_fenix6_sapphire.gpx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', 'run_01_iphone.gpx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', 'run_02_iphone.gpx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', 'run_03_iphone_4s.gpx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20120611_run_garmin_fr405cx.tcx', 'run', 'running', 'msimms-p1', 'Montreal / Canada'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20180331_run_garmin_fenix_3_hr.tcx', 'run', 'running', 'msimms-p1', 'New Orleans LA / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20200103_intervals.tcx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('msimms', 'msimms-TestFilesForFitnessApps', '20220320_track_run_apple_watch_se.tcx', 'run', 'running', 'msimms-p1', 'Melbourne FL / USA'),
 ('firefly-tcx', 'firefly-tcx-test-files', 'walking_activity_1.tcx', 'walk', 'walking', 'firefly-tcx', 'Maribor / Slovenia'),
 ('firefly-tcx', 'firefly-tcx-test-files', 'running_activity_1.tcx', 'run', 'running', 'firefly-tcx', 'central Slovenia / Slovenia'),
 ('firefly-tcx', 'firefly-tcx-test-files', 'running_activity_2.tcx', 'run', 'running', 'firefly-tcx', 'Istria / Croatia'),
 ('firefly-saf', 'firefly-sport-activities-features', '11.tcx', 'bike', 'biking', 'firefly-saf', 'central Slovenia / Slovenia'),
 ('firefly-saf', 'firefly-sport-activities-features', '2.tcx', 'bike', 'biking', 'firefly-saf', 'Istria / Croatia'),
 ('firefly-saf', 'firefly-sport-activities-features', 'riderx3.gpx', 'bike', 'cycling', 'firefly-saf', 'central Slovenia / Slovenia'),
 ('tcxreader', 'tcxreader', 'mapmyride_biking.tcx', 'bike', 'biking', 'tcxreader-p1', 'Hendersonville area NC / USA'),
 ('sweatpy', 'sweatpy', '4078723797.fit', 'bike', 'cycling', 'sweatpy-p1', 'Ardennes / Belgium'),
 ('sweatpy', 'sweatpy', '4801048867.fit', 'bike', 'cycling', 'sweatpy-p1', 'Achterhoek / Netherlands'),
 ('sweatpy', 'sweatpy', '3173437224.tcx', 'run', 'running', 'sweatpy', 'Vosges / France'),
 ('tormoder-fit', 'tormoder-fit', 'garmin.fit', 'bike', 'cycling', 'tormoder-p1', 'Toronto / Canada'),
 ('tormoder-fit', 'tormoder-fit', 'activity-small-fenix2-run.fit', 'run', 'running', 'tormoder-p2', 'Stavanger / Norway'),
 ('tormoder-fit', 'tormoder-fit', '2013-02-06-12-11-14.fit', 'run', 'running', 'tormoder-fit', 'Scottish Highlands / UK'),
 ('tormoder-fit', 'tormoder-fit', 'mornindew-broken.fit', 'run', 'running', 'tormoder-p3', 'Denver CO / USA'),
 ('georust-gpx', 'georust-gpx', 'garmin-activity.gpx', 'run', 'running', 'georust-gpx', 'Los Gatos CA / USA'),
 ('georust-gpx', 'georust-gpx', 'garmin_with_extensions.gpx', 'walk', 'hiking-inferred', 'georust-gpx', 'Garmisch-Partenkirchen area / Germany'),
 ('gpxpy', 'gpxpy', 'korita-zbevnica.gpx', 'walk', 'hiking-inferred', 'gpxpy-p1', 'Ucka-Cicarija Istria / Croatia'),
 ('fitdecode', 'fitdecode', 'developer-types-sample.fit', 'run', 'running', 'fitdecode', 'Lisbon / Portugal'),
]

LICENSES = {  # source -> (src path of licence file, dest name)
 'fitparse': ('python-fitparse-fixtures/LICENSE', 'LICENSE'),
 'msimms': ('msimms-TestFilesForFitnessApps/LICENSE', 'LICENSE'),
 'firefly-tcx': ('firefly-tcx-test-files/LICENSE', 'LICENSE'),
 'firefly-saf': ('firefly-sport-activities-features/LICENSE', 'LICENSE'),
 'tcxreader': ('tcxreader/LICENSE', 'LICENSE'),
 'sweatpy': ('sweatpy/LICENSE', 'LICENSE'),
 'tormoder-fit': ('tormoder-fit/LICENSE', 'LICENSE'),
 'georust-gpx': ('georust-gpx/LICENSE', 'LICENSE'),
 'gpxpy': ('gpxpy/LICENSE.txt', 'LICENSE.txt'),
 'fitdecode': ('fitdecode/LICENSE.txt', 'LICENSE.txt'),
 'aalto': ('aalto-trafficsense-helsinki/LICENSE.md', 'LICENSE.md'),
}
ARCHIVES = {  # source -> (src dir, person, mirror git dir, commit)
 'wp-arthurfsy2': ('workouts-arthurfsy2', 'arthurfsy2', '/work/.mirror/arthurfsy2+workouts_page_fsy/repo', 'aaac67efc17fda652487e223992c2326407257b4'),
 'wp-iamkickbj': ('workouts-iamkickBJ', 'iamkickbj', '/work/.mirror/iamkickBJ+workouts_page/repo', 'c43024f2cf74953a26c6e2428e41fa44702296d6'),
 'wp-ygria': ('workouts-Ygria', 'ygria', '/work/.mirror/Ygria+workouts_page/repo', '1677e116284799eeee0426364bdec740c547b825'),
}

def do_fixtures():
    for source, d, f, mode, label, person, place in FIXTURES:
        fx, m = trklib.parse_any(f'{SRC}/{d}/{f}')
        kept, dropped = trklib.clean(fx)
        st = trklib.stats(kept)
        why = usable(st)
        if why:
            excluded.append((source, f, why)); continue
        emit(source, slug(os.path.splitext(f)[0]), kept, dropped, mode, label, person, place, st, f'from {d}/{f}; file tag {m["type"]}')

# ---------------------------------------------------------------- UCI Go!Track
def do_uci(cands):
    d = f'{SRC}/uci-gotrack-aracaju'
    lab = {r['track_id']: r for r in csv.DictReader(open(f'{d}/labels.csv'))}
    pts = collections.OrderedDict()
    with open(f'{d}/go_track_trackspoints.csv', newline='') as fh:
        for r in csv.DictReader(fh):
            pts.setdefault(r['track_id'], []).append(r)
    for tid, L in pts.items():
        lb = lab[tid]
        mode = {'1': 'car', '2': 'bus'}[lb['car_or_bus']]
        if lb['duplicate_of_earlier'] == 'True':
            excluded.append(('uci-gotrack', f'track {tid}', 'duplicate of earlier track (labels.csv)')); continue
        fx = [(trklib.iso_to_ms(r['time']) if r['time'] else None,
               r['latitude'] or None, r['longitude'] or None, '') for r in L]
        kept, dropped = trklib.clean(fx)
        st = trklib.stats(kept)
        why = usable(st)
        if why:
            excluded.append(('uci-gotrack', f'track {tid}', why)); continue
        cands.append(dict(source='uci-gotrack', trip=f'{mode}-{int(tid):04d}', kept=kept, dropped=dropped, mode='motor',
                          label=mode, person=f"gotrack-u{lb['id_android']}", place='Aracaju / Brazil', st=st,
                          extra=f"track_id {tid}" + (f", bus line {lb['linha']}" if lb['linha'] else '')))

# ---------------------------------------------------------------- Aalto TrafficSense
AALTO_OFFSET_MIN = 180   # README: "9 am and 4 pm EET+DST" -> 2016-08-26 is EEST = UTC+3
def do_aalto(cands):
    d = f'{SRC}/aalto-trafficsense-helsinki'
    dev = collections.defaultdict(list)
    with open(f'{d}/device_data.csv', newline='') as fh:
        for r in csv.DictReader(fh):
            dev[r['device_id']].append(r)
    with open(f'{d}/manual_log.csv', newline='') as fh:
        log = list(csv.DictReader(fh))
    for i, r in enumerate(log, start=2):   # row number as in the file (header = row 1), matches labels.csv
        lt = r['line_type'].strip()
        if lt == 'SUBWAY':
            excluded.append(('aalto', f'row {i} SUBWAY', 'subway (underground)')); continue
        t0 = trklib.iso_to_ms(r['vehicle_dep_time'], AALTO_OFFSET_MIN); t1 = trklib.iso_to_ms(r['vehicle_arr_time'], AALTO_OFFSET_MIN)
        fx = []
        for p in dev[r['device_id']]:
            t = trklib.iso_to_ms(p['time'], AALTO_OFFSET_MIN)
            if t0 <= t <= t1:
                fx.append((t, p['lat'] or None, p['lng'] or None, p['accuracy']))
        kept, dropped = trklib.clean(fx)
        st = trklib.stats(kept)
        why = usable(st)
        if not why and st['fixes'] < 5: why = f"only {st['fixes']} fixes"
        if why:
            excluded.append(('aalto', f'row {i} {lt} device {r["device_id"]}', why)); continue
        cands.append(dict(source='aalto', trip=f'{lt.lower()}-d{r["device_id"]}-r{i:03d}', kept=kept, dropped=dropped, mode='motor',
                          label=lt.lower(), person=f'aalto-d{r["device_id"]}', place='Helsinki region / Finland', st=st,
                          extra=f'manual_log row {i}, line {r["line_name"]}'))

def csv_bytes(kept):
    return len('time_ms,lat,lon,accuracy_m\n') + sum(len(f'{t},{a},{b},{c}\n') for t, a, b, c in kept)

def do_motor():
    cands = []
    do_uci(cands); do_aalto(cands)
    total = sum(csv_bytes(c['kept']) for c in cands)
    print(f'motor candidates: {len(cands)}, {total/1024:.0f} KiB')
    if total > MOTOR_CAP_BYTES:
        raise SystemExit('motor over cap: implement subset')   # not needed with current data
    for c in cands:
        emit(c['source'], c['trip'], c['kept'], c['dropped'], c['mode'], c['label'], c['person'], c['place'], c['st'], c['extra'])

# ---------------------------------------------------------------- personal archives
CITIES = [('Dongguan', 23.02, 113.75), ('Guangzhou', 23.13, 113.26), ('Shenzhen', 22.55, 114.06), ('Hong Kong', 22.32, 114.17),
          ('Zhuhai', 22.27, 113.58), ('Haikou', 20.03, 110.33), ('Nanjing', 32.06, 118.80), ('Hefei', 31.82, 117.23),
          ('Hangzhou', 30.27, 120.15), ('Yangzhou', 32.39, 119.42), ('Wuhu', 31.33, 118.43), ('Chizhou', 30.66, 117.49),
          ('Beijing', 39.90, 116.40), ('Osaka', 34.69, 135.50), ('Kobe', 34.69, 135.19), ('Houston', 29.76, -95.37), ('Dali', 25.61, 100.27)]
COUNTRY = {'Osaka': 'Japan', 'Kobe': 'Japan', 'Houston': 'USA'}
def place_of(lat, lon):
    best = min(CITIES, key=lambda c: trklib.hav(lat, lon, c[1], c[2]))
    dkm = trklib.hav(lat, lon, best[1], best[2]) / 1000
    if dkm > 90: return f'unknown ({lat:.2f},{lon:.2f})'
    return f"{best[0]}{' area' if dkm > 30 else ''} / {COUNTRY.get(best[0], 'China')}"

def spread(items, k):
    """k items evenly spread over the (time-sorted) list, deterministic."""
    if k >= len(items): return list(items)
    n = len(items)
    idx = sorted(set(int((i + 0.5) * n / k) for i in range(k)))
    return [items[i] for i in idx]

def do_archives(clean_counts):
    pool = {}   # (mode, source) -> list of candidates
    for source, (d, person, _, _) in ARCHIVES.items():
        for r in csv.DictReader(open(f'{SRC}/{d}/labels.csv')):
            f = r['file']
            if r['flag'].strip():
                excluded.append((source, f, 'flagged in labels.csv: ' + r['flag'])); continue
            fx, m = trklib.parse_gpx(f'{SRC}/{d}/{f}')
            kept, dropped = trklib.clean(fx)
            st = trklib.stats(kept)
            why = usable(st)
            if why:
                excluded.append((source, f, why)); continue
            every = 300 <= st['dur_s'] <= 3600
            ab = st['ab_ratio'] > 0.30
            tier = 0 if (every and ab) else 1 if every else 2 if ab else 3
            pool.setdefault((r['mode'], source), []).append(dict(
                source=source, file=f, kept=kept, dropped=dropped, st=st, tier=tier, mode=r['mode'],
                label=r['source_type_tag'].lower(), person=person, start=st['start_ms']))
    chosen_all = []
    for mode, target in (('bike', TARGET_BIKE), ('walk', TARGET_WALK)):
        need = max(0, target - clean_counts.get(mode, 0))
        srcs = [s for s in ARCHIVES if (mode, s) in pool]
        avail = {s: len(pool[(mode, s)]) for s in srcs}
        quota = {s: 0 for s in srcs}
        # (a) spread over people: round-robin quotas, first over everyday-length trips (tiers 0-1: 5-60 min),
        #     then, only if the target is still not reached, over the rest (tiers 2-3)
        for phase_tiers in ((0, 1), (0, 1, 2, 3)):
            av = {s: sum(1 for c in pool[(mode, s)] if c['tier'] in phase_tiers) for s in srcs}
            while sum(quota.values()) < need and any(quota[s] < av[s] for s in srcs):
                for s in srcs:
                    if sum(quota.values()) >= need: break
                    if quota[s] < av[s]: quota[s] += 1
        for s in srcs:
            L = sorted(pool[(mode, s)], key=lambda c: c['start'])
            chosen = []
            # (b) everyday-like first: tier 0 (5-60 min and A-to-B), 1 (5-60 min, loop), 2 (A-to-B), 3;
            # within a tier, trips whose CSV is <= SIZE_PREF_BYTES first (to respect the ~8 MB budget),
            # then larger ones; within each of those, evenly spread over time
            for tier in range(4):
                for small in (True, False):
                    T = [c for c in L if c['tier'] == tier and (csv_bytes(c['kept']) <= SIZE_PREF_BYTES) == small]
                    chosen += spread(T, quota[s] - len(chosen))
                if len(chosen) >= quota[s]: break
            print(f'archive {mode} {s}: avail {avail[s]} tiers {collections.Counter(c["tier"] for c in L)} quota {quota[s]} chosen {len(chosen)}')
            chosen_all += sorted(chosen, key=lambda c: c['start'])
    for c in chosen_all:
        st = c['st']
        trip = f"{c['mode']}-{slug(os.path.splitext(os.path.basename(c['file']))[0])}"
        emit(c['source'], trip, c['kept'], c['dropped'], c['mode'], c['label'], c['person'],
             place_of(st['lat0'], st['lon0']), st, f"from {c['file']}; tier {c['tier']}")

UCI_NOTE = '''# uci-gotrack: no licence file available (this note is NOT a copy of a licence file)

The data are the UCI Machine Learning Repository dataset 354 "GPS Trajectories" (Go!Track app, Aracaju, Brazil;
M. O. Cruz, H. Macedo, A. Guimaraes, "Grouping similar trajectories for carpooling purposes", BRACIS 2015).
UCI states that its datasets are licensed under Creative Commons Attribution 4.0 International (CC BY 4.0):
https://archive.ics.uci.edu/dataset/354/gps+trajectories and https://creativecommons.org/licenses/by/4.0/
That statement is on a web page only; it could not be re-read when this set was built (no web access), and the
GitHub copies used (AnaMazziotti/Base-de-Dados---IP---IME, zalfa455/K-Means-Clustering) carry no data licence file
(their repository licences cover their own code). Confirm on the UCI page before publishing.
'''

def licences():
    open(f'{TRIPS}/uci-gotrack/LICENSE-NOTE.md', 'w').write(UCI_NOTE)
    for s, (p, dest) in LICENSES.items():
        shutil.copyfile(f'{SRC}/{p}', f'{TRIPS}/{s}/{dest}')
    for s, (_, _, gd, commit) in ARCHIVES.items():
        data = subprocess.run(['git', '--git-dir', gd, 'show', f'{commit}:LICENSE'], capture_output=True, check=True).stdout
        open(f'{TRIPS}/{s}/LICENSE', 'wb').write(data)

def main():
    if os.path.isdir(TRIPS): shutil.rmtree(TRIPS)
    os.makedirs(TRIPS)
    do_fixtures()
    clean_counts = collections.Counter(r['mode'] for r in rows)
    do_motor()
    do_archives(clean_counts)
    licences()
    with open(f'{OUT}/labels.csv', 'w', newline='') as fh:
        w = csv.DictWriter(fh, fieldnames=['file', 'mode', 'label', 'person', 'place', 'source', 'dropped_fixes'], lineterminator='\n')
        w.writeheader(); w.writerows(rows)
    with open(f'{OUT}/tools/trip_stats.csv', 'w', newline='') as fh:
        keys = ['file', 'mode', 'source', 'person', 'fixes', 'dur_s', 'path_m', 'se_m', 'ab_ratio', 'med_iv_s', 'med_kmh', 'p95_kmh', 'max_kmh', 'n_back', 'n_dup', 'start_ms', 'lat0', 'lon0', 'note']
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction='ignore', lineterminator='\n')
        w.writeheader()
        for m in meta:
            w.writerow({k: (round(v, 3) if isinstance(v, float) else v) for k, v in m.items()})
    with open(f'{OUT}/tools/excluded.csv', 'w', newline='') as fh:
        w = csv.writer(fh, lineterminator='\n'); w.writerow(['source', 'item', 'reason']); w.writerows(excluded)
    print(collections.Counter(r['mode'] for r in rows), len(rows))

if __name__ == '__main__':
    main()
