"""Parsers for GPX / TCX / FIT into raw fixes (time_ms, lat_str, lon_str, acc_str).
lat/lon are kept as the source's own text (GPX/TCX/CSV); FIT semicircles are converted
with semicircles*180/2**31 (exact in binary floating point) and written with repr()."""
import calendar, datetime as dt, math, re, statistics, xml.etree.ElementTree as ET
from decimal import Decimal, ROUND_HALF_EVEN

_ISO = re.compile(r'^\s*(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?\s*$')

def iso_to_ms(s, assume_offset_min=0):
    """ISO 8601 -> integer ms since epoch (UTC). Fraction rounded half-even to 1 ms.
    Strings without zone are taken as UTC+assume_offset_min."""
    if s is None: return None
    m = _ISO.match(s)
    if not m: return None
    y, mo, d, h, mi, se, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(se)))
    ms = secs * 1000
    if frac:
        ms += int((Decimal('0.' + frac) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if tz and tz != 'Z':
        sign = 1 if tz[0] == '+' else -1
        tz = tz[1:].replace(':', '')
        off = int(tz[:2]) * 60 + int(tz[2:])
        ms -= sign * off * 60000
    elif not tz:
        ms -= assume_offset_min * 60000
    return ms

def _ln(tag):
    return tag.rsplit('}', 1)[-1]

def parse_gpx(path):
    """All <trkpt> in document order. Returns (fixes, meta)."""
    root = ET.parse(path).getroot()
    fixes, types = [], []
    for el in root.iter():
        t = _ln(el.tag)
        if t == 'type':
            if el.text: types.append(el.text.strip())
        elif t == 'trkpt':
            la, lo = el.get('lat'), el.get('lon')
            tm = None
            for c in el:
                if _ln(c.tag) == 'time': tm = (c.text or '').strip()
            fixes.append((iso_to_ms(tm) if tm else None, la.strip() if la else None, lo.strip() if lo else None, ''))
    return fixes, {'type': ';'.join(dict.fromkeys(types)), 'creator': root.get('creator', '')}

def parse_tcx(path):
    root = ET.parse(path).getroot()
    fixes, sports = [], []
    for el in root.iter():
        t = _ln(el.tag)
        if t == 'Activity':
            sports.append(el.get('Sport', ''))
        elif t == 'Trackpoint':
            tm = la = lo = None
            for c in el:
                ct = _ln(c.tag)
                if ct == 'Time': tm = (c.text or '').strip()
                elif ct == 'Position':
                    for p in c:
                        if _ln(p.tag) == 'LatitudeDegrees': la = (p.text or '').strip() or None
                        elif _ln(p.tag) == 'LongitudeDegrees': lo = (p.text or '').strip() or None
            fixes.append((iso_to_ms(tm) if tm else None, la, lo, ''))
    return fixes, {'type': ';'.join(dict.fromkeys(sports)), 'creator': ''}

def parse_fit(path):
    import fitparse
    ff = fitparse.FitFile(path)
    fixes, sports = [], []
    for m in ff.get_messages(['record', 'session', 'sport']):
        v = m.get_values()
        if m.name == 'record':
            ts = v.get('timestamp'); la = v.get('position_lat'); lo = v.get('position_long')
            ms = None
            if isinstance(ts, dt.datetime):
                if ts.tzinfo is not None: ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
                ms = calendar.timegm(ts.timetuple()) * 1000 + ts.microsecond // 1000
            acc = v.get('gps_accuracy')
            fixes.append((ms,
                          repr(la * 180 / 2**31) if la is not None else None,
                          repr(lo * 180 / 2**31) if lo is not None else None,
                          str(acc) if acc is not None else ''))
        else:
            sports.append(f"{v.get('sport')}/{v.get('sub_sport')}")
    return fixes, {'type': ';'.join(dict.fromkeys(sports)), 'creator': ''}

def parse_any(path):
    p = path.lower()
    if p.endswith('.gpx'): return parse_gpx(path)
    if p.endswith('.tcx'): return parse_tcx(path)
    if p.endswith('.fit'): return parse_fit(path)
    raise ValueError(path)

def clean(fixes):
    """Drop fixes with no time or no position (nothing else). Returns (kept, n_dropped)."""
    kept = [f for f in fixes if f[0] is not None and f[1] and f[2]]
    return kept, len(fixes) - len(kept)

def hav(a, b, c, d):
    R = 6371008.8
    a, b, c, d = map(math.radians, (a, b, c, d))
    return 2 * R * math.asin(math.sqrt(min(1, math.sin((c - a) / 2) ** 2 + math.cos(a) * math.cos(c) * math.sin((d - b) / 2) ** 2)))

def stats(kept):
    n = len(kept)
    if n < 2:
        return dict(fixes=n, dur_s=0, path_m=0, se_m=0, ab_ratio=0, med_iv_s=None, med_kmh=0, p95_kmh=0, max_kmh=0, n_back=0, n_dup=0)
    P = [(t, float(la), float(lo)) for t, la, lo, _ in kept]
    ivs = [(b[0] - a[0]) / 1000 for a, b in zip(P, P[1:])]
    ds = [hav(a[1], a[2], b[1], b[2]) for a, b in zip(P, P[1:])]
    path = sum(ds)
    se = hav(P[0][1], P[0][2], P[-1][1], P[-1][2])
    sp = [d / s * 3.6 for d, s in zip(ds, ivs) if s > 0]
    mv = [v for v in sp if v > 1.8]
    sps = sorted(sp)
    return dict(fixes=n, dur_s=(P[-1][0] - P[0][0]) / 1000, path_m=path, se_m=se,
                ab_ratio=(se / path if path > 0 else 0), med_iv_s=statistics.median(ivs),
                med_kmh=statistics.median(mv) if mv else 0,
                p95_kmh=sps[int(0.95 * (len(sps) - 1))] if sps else 0,
                max_kmh=sps[-1] if sps else 0,
                n_back=sum(1 for s in ivs if s < 0), n_dup=sum(1 for s in ivs if s == 0),
                start_ms=P[0][0], lat0=P[0][1], lon0=P[0][2])

def write_csv(path, kept):
    with open(path, 'w', newline='') as f:
        f.write('time_ms,lat,lon,accuracy_m\n')
        for t, la, lo, acc in kept:
            f.write(f'{t},{la},{lo},{acc}\n')
