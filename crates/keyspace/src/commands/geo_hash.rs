//! The geohash arithmetic of Redis 7.0's GEO commands (geohash.c, geohash_helper.c): 52-bit
//! interleaved scores, the 3x3 grid of boxes a search walks, and the haversine distance.
//!
//! Every operation is written in the same order and with the same intermediate types as Redis,
//! because replies print the decoded coordinates with 17 decimals and distances with 4: a
//! different but "equivalent" formula would change the last digits. Ref: geohash.c,
//! geohash_helper.c (Redis 7.0.15).

/// Bits per coordinate in a stored score (26 + 26 = 52 bits, exact in a double).
pub(crate) const STEP_MAX: u8 = 26;
/// Longitude bounds.
pub(crate) const LONG_MIN: f64 = -180.0;
/// Longitude bounds.
pub(crate) const LONG_MAX: f64 = 180.0;
/// Latitude bounds of the Web Mercator projection: the poles cannot be indexed.
pub(crate) const LAT_MIN: f64 = -85.05112878;
/// Latitude bounds of the Web Mercator projection.
pub(crate) const LAT_MAX: f64 = 85.05112878;

/// Earth's quadratic mean radius (WGS-84), as Redis uses it for every distance.
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
/// Redis's `MERCATOR_MAX`: half the projected circumference, for the step estimate.
const MERCATOR_MAX: f64 = 20037726.37;
/// Redis's `D_R`, computed like the C macro `M_PI / 180.0`.
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A range of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range {
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Range {
    fn is_zero(&self) -> bool {
        self.min == 0.0 && self.max == 0.0
    }
}

/// The ranges the stored scores use.
pub(crate) const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
/// The ranges the stored scores use.
pub(crate) const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A geohash of `step` bits per coordinate: latitude in the even bits, longitude in the odd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Hash {
    pub(crate) bits: u64,
    pub(crate) step: u8,
}

impl Hash {
    /// Redis's `HASHISZERO`: a neighbour removed from a search.
    pub(crate) fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash shifted to 52 bits: the sorted-set score of the box's first point.
    pub(crate) fn align52(&self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

/// The rectangle a hash covers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Area {
    pub(crate) long_min: f64,
    pub(crate) long_max: f64,
    pub(crate) lat_min: f64,
    pub(crate) lat_max: f64,
}

/// Spread the low 32 bits of `v` to the even bit positions.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gather the even bits of `v` into the low 32 bits.
fn gather(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// C's `(uint32_t)d` for a double in `[0, 2^32)` (truncation toward zero).
fn to_u32(d: f64) -> u32 {
    d as u32
}

/// C's `(uint64_t)d` as gcc compiles it on x86-64 (`cvttsd2si`, with the 2^63 split), for
/// any double: a sorted set may hold negative or huge scores that Redis still decodes.
pub(crate) fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if d < TWO63 {
        c_double_to_i64(d) as u64
    } else {
        (c_double_to_i64(d - TWO63) as u64) ^ (1 << 63)
    }
}

/// C's `(long long)d` on x86-64: truncation, and `LLONG_MIN` (the "integer indefinite") when
/// out of range or NaN.
pub(crate) fn c_double_to_i64(d: f64) -> i64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if d.is_nan() || !(-TWO63..TWO63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// Redis's `geohashEncode`: `None` where Redis returns 0 (out of the indexable area).
pub(crate) fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<Hash> {
    if step > 32 || step == 0 || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    // Inputs are never NaN (parsed arguments reject it; decoded points are finite).
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let mut lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (longitude - long_range.min) / (long_range.max - long_range.min);
    let scale = (1u64 << step) as f64;
    lat_offset *= scale;
    long_offset *= scale;
    let bits = spread(to_u32(lat_offset)) | (spread(to_u32(long_offset)) << 1);
    Some(Hash { bits, step })
}

/// `geohashEncodeWGS84`: the hash of a point in the ranges the scores use.
pub(crate) fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Hash> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step)
}

/// Redis's `geohashDecode`: the area of `hash` (`None` for a zero hash).
pub(crate) fn decode(long_range: Range, lat_range: Range, hash: Hash) -> Option<Area> {
    if hash.is_zero() || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    let ilato = gather(hash.bits);
    let ilono = gather(hash.bits >> 1);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let div = (1u64 << hash.step) as f64;
    // `ilato + 1` is C's unsigned int arithmetic: it wraps for the all-ones value.
    Some(Area {
        lat_min: lat_range.min + (f64::from(ilato) * 1.0 / div) * lat_scale,
        lat_max: lat_range.min + (f64::from(ilato.wrapping_add(1)) * 1.0 / div) * lat_scale,
        long_min: long_range.min + (f64::from(ilono) * 1.0 / div) * long_scale,
        long_max: long_range.min + (f64::from(ilono.wrapping_add(1)) * 1.0 / div) * long_scale,
    })
}

/// Redis's `decodeGeohash`: the point (longitude, latitude) a sorted-set score stands for, the
/// centre of its 52-bit box clamped to the indexable area.
pub(crate) fn decode_score(score: f64) -> [f64; 2] {
    let hash = Hash {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    let area = decode(LONG_RANGE, LAT_RANGE, hash).expect("step is never zero");
    let lon = ((area.long_min + area.long_max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat_min + area.lat_max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// The sorted-set score of a point (`geohashAlign52Bits` of its 26-step hash); `None` outside
/// the indexable area.
pub(crate) fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(|h| h.align52())
}

fn move_x(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> (64 - u32::from(hash.step) * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaa >> (64 - u32::from(hash.step) * 2);
    hash.bits = x | y;
}

fn move_y(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - u32::from(hash.step) * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555 >> (64 - u32::from(hash.step) * 2);
    hash.bits = x | y;
}

fn moved(hash: Hash, dx: i8, dy: i8) -> Hash {
    let mut h = hash;
    move_x(&mut h, dx);
    move_y(&mut h, dy);
    h
}

/// The search shape: a circle of `radius`, or a `width` x `height` box, in `conversion` units
/// (meters per unit), around `xy` (longitude, latitude).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// BYRADIUS (and GEORADIUS*).
    Circle { radius: f64 },
    /// BYBOX.
    Rect { width: f64, height: f64 },
}

/// A shape placed on the globe.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Search {
    pub(crate) xy: [f64; 2],
    pub(crate) conversion: f64,
    pub(crate) shape: Shape,
}

/// The boxes a search walks, in Redis's order: the centre, then N, S, E, W, NE, NW, SE, SW;
/// removed neighbours are zero hashes.
pub(crate) type Boxes = [Hash; 9];

/// Redis's `geohashEstimateStepsByRadius`.
fn estimate_steps(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

impl Search {
    /// Redis's `geohashBoundingBox`: `[min_lon, min_lat, max_lon, max_lat]`.
    fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.xy;
        let (height, width) = match self.shape {
            Shape::Circle { radius } => (self.conversion * radius, self.conversion * radius),
            Shape::Rect { width, height } => (
                self.conversion * (height / 2.0),
                self.conversion * (width / 2.0),
            ),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        // The hemispheres widen in opposite directions.
        let delta = if latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            longitude - delta,
            latitude - lat_delta,
            longitude + delta,
            latitude + lat_delta,
        ]
    }

    /// Redis's `geohashCalculateAreasByShapeWGS84`: the centre box and its neighbours that
    /// together cover the shape.
    pub(crate) fn boxes(&self) -> Boxes {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let [longitude, latitude] = self.xy;
        let radius_meters = match self.shape {
            Shape::Circle { radius } => radius,
            Shape::Rect { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut steps = estimate_steps(radius_meters, latitude);
        // The centre was validated, so encoding succeeds; Redis ignores the result anyway and
        // keeps a zeroed hash of this step.
        let enc = |steps| {
            encode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps).unwrap_or(Hash {
                bits: 0,
                step: steps,
            })
        };
        let dec = |h: Hash| decode(LONG_RANGE, LAT_RANGE, h).unwrap_or_default();
        let mut hash = enc(steps);
        let mut n = neighbors(hash);
        let mut area = dec(hash);
        // Near a box edge the estimated step may leave part of the shape outside the 3x3 grid.
        let decrease = dec(n[1]).lat_max < max_lat
            || dec(n[2]).lat_min > min_lat
            || dec(n[3]).long_max < max_lon
            || dec(n[4]).long_min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            hash = enc(steps);
            n = neighbors(hash);
            area = dec(hash);
        }
        // Drop the neighbours the shape cannot reach.
        if steps >= 2 {
            let zero = Hash::default();
            if area.lat_min < min_lat {
                for i in [2, 8, 7] {
                    n[i] = zero;
                }
            }
            if area.lat_max > max_lat {
                for i in [1, 5, 6] {
                    n[i] = zero;
                }
            }
            if area.long_min < min_lon {
                for i in [4, 8, 6] {
                    n[i] = zero;
                }
            }
            if area.long_max > max_lon {
                for i in [3, 7, 5] {
                    n[i] = zero;
                }
            }
        }
        n
    }

    /// Redis's `geoWithinShape` after decoding: the distance (meters) from the centre to
    /// `(lon, lat)` if the point is inside the shape.
    pub(crate) fn distance_if_within(&self, lon: f64, lat: f64) -> Option<f64> {
        let [x1, y1] = self.xy;
        match self.shape {
            Shape::Circle { radius } => {
                let d = distance(x1, y1, lon, lat);
                // `d > radius` is false for NaN: Redis keeps such a point.
                if d > radius * self.conversion {
                    None
                } else {
                    Some(d)
                }
            }
            Shape::Rect { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                if lat_distance(lat, y1) > height_m / 2.0 {
                    return None;
                }
                if distance(lon, lat, x1, lat) > width_m / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, lon, lat))
            }
        }
    }
}

/// The centre box and its eight neighbours, in Redis's order (self, N, S, E, W, NE, NW, SE, SW).
fn neighbors(hash: Hash) -> Boxes {
    [
        hash,
        moved(hash, 0, 1),
        moved(hash, 0, -1),
        moved(hash, 1, 0),
        moved(hash, -1, 0),
        moved(hash, 1, 1),
        moved(hash, -1, 1),
        moved(hash, 1, -1),
        moved(hash, -1, -1),
    ]
}

/// Redis's `geohashGetLatDistance`.
fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// Redis's `geohashGetDistance`: the haversine great-circle distance in meters.
pub(crate) fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // Same longitude: the cheaper latitude-only formula (and its rounding).
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// The 11-character standard geohash (ranges ±180, ±90) of a stored score, as GEOHASH gives it.
pub(crate) fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [lon, lat] = decode_score(score);
    let r_long = Range {
        min: -180.0,
        max: 180.0,
    };
    let r_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    // A decoded point is inside the indexable area, so this encodes; Redis prints the zeroed
    // hash otherwise.
    let bits = encode(r_long, r_lat, lon, lat, 26).map_or(0, |h| h.bits);
    let mut out = [0u8; 11];
    for (i, c) in out.iter_mut().enumerate() {
        // 52 bits give 10 characters; the 11th is always '0', as Redis pads.
        let idx = if i == 10 {
            0
        } else {
            (bits >> (52 - (i + 1) * 5)) & 0x1f
        };
        *c = ALPHABET[idx as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for v in [0u32, 1, 0xdead_beef, u32::MAX, 0x03ff_ffff] {
            assert_eq!(gather(spread(v)), v);
            assert_eq!(gather(spread(v) << 1 >> 1), v);
        }
        assert_eq!(spread(0b11), 0b101);
    }

    #[test]
    fn palermo_score_and_hash() {
        // Values printed by redis-server 7.0 for GEOADD Sicily 13.361389 38.115556 "Palermo".
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(&standard_geohash(3479099956230698.0), b"sqc8b49rny0");
        let [lon, lat] = decode_score(3479099956230698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
    }

    #[test]
    fn distance_palermo_catania() {
        let p = decode_score(3479099956230698.0);
        let c = decode_score(3479447370796909.0);
        let d = distance(p[0], p[1], c[0], c[1]);
        assert_eq!(format!("{d:.4}"), "166274.1516");
    }

    #[test]
    fn out_of_area_points_have_no_score() {
        assert_eq!(score_of(181.0, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        assert!(score_of(180.0, LAT_MAX).is_some());
    }

    #[test]
    fn c_conversions_match_x86() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(1.9), 1);
        assert_eq!(c_double_to_u64(1e30), 0);
        assert_eq!(c_double_to_u64(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(c_double_to_i64(f64::INFINITY), i64::MIN);
        assert_eq!(c_double_to_i64(-2.5), -2);
    }
}
