//! Pictures people upload (an offer's photo; later a litter report's),
//! made safe to keep and show: only JPEG and PNG, at most
//! [`MAX_PICTURE_BYTES`], decoded under limits (no decompression bomb),
//! turned upright by their EXIF orientation, scaled down to at most
//! [`MAX_SIDE`] pixels a side, and encoded again, so nothing of the
//! original file but its pixels is kept: no EXIF (a phone's photo carries
//! where it was taken), no comments, no trailing data.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The largest upload taken (5 MiB).
pub const MAX_PICTURE_BYTES: usize = 5 * 1024 * 1024;
/// The longest side of a picture as kept, in pixels.
pub const MAX_SIDE: u32 = 1600;
/// The longest side of a picture as uploaded: larger ones are refused before they are decoded.
const MAX_UPLOADED_SIDE: u32 = 12_000;
/// JPEG quality of the pictures kept.
const JPEG_QUALITY: u8 = 85;

/// A picture as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// The encoded picture.
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png` (a PNG stays a PNG, for its transparency).
    pub media_type: &'static str,
    /// The file name extension of `media_type`.
    pub extension: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Why an upload is not taken as a picture; each has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureRefusal {
    /// More than [`MAX_PICTURE_BYTES`].
    #[error("a picture is at most {MAX_PICTURE_BYTES} bytes")]
    TooLarge,
    /// Neither JPEG nor PNG, or not readable as one.
    #[error("not a JPEG or PNG picture that can be read: {0}")]
    Unreadable(String),
}

impl PictureRefusal {
    /// The stable code of the refusal, for clients.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "PICTURE_TOO_LARGE",
            Self::Unreadable(_) => "INVALID_PICTURE",
        }
    }
}

/// Decodes an uploaded JPEG or PNG and encodes it again as described in the
/// module docs. CPU-bound (tens of milliseconds for a phone photo): call it
/// off the async threads.
pub fn reencode(upload: &[u8]) -> Result<Picture, PictureRefusal> {
    if upload.len() > MAX_PICTURE_BYTES {
        return Err(PictureRefusal::TooLarge);
    }
    let unreadable = |error: &dyn std::fmt::Display| PictureRefusal::Unreadable(error.to_string());
    let mut reader = ImageReader::new(Cursor::new(upload)).with_guessed_format().map_err(|e| unreadable(&e))?;
    let format = match reader.format() {
        Some(format @ (ImageFormat::Jpeg | ImageFormat::Png)) => format,
        _ => return Err(unreadable(&"the file is neither JPEG nor PNG")),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_UPLOADED_SIDE);
    limits.max_image_height = Some(MAX_UPLOADED_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(&e))?;
    let orientation = decoder.orientation().map_err(|e| unreadable(&e))?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(&e))?;
    picture.apply_orientation(orientation);
    if picture.width() > MAX_SIDE || picture.height() > MAX_SIDE {
        picture = picture.resize(MAX_SIDE, MAX_SIDE, FilterType::Triangle);
    }
    let mut bytes = Vec::new();
    let (media_type, extension) = if format == ImageFormat::Png {
        picture.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).map_err(|e| unreadable(&e))?;
        ("image/png", "png")
    } else {
        let encoder = JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
        DynamicImage::ImageRgb8(picture.to_rgb8()).write_with_encoder(encoder).map_err(|e| unreadable(&e))?;
        ("image/jpeg", "jpg")
    };
    Ok(Picture { bytes, media_type, extension, width: picture.width(), height: picture.height() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbImage::from_fn(width, height, |x, _| Rgb([(x % 256) as u8, 90, 200]));
        let mut bytes = Vec::new();
        picture.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg).unwrap();
        bytes
    }

    /// `jpeg` with an EXIF segment right after the start marker: orientation
    /// 6 (turn 90° clockwise to show) and a GPS pointer, as a phone writes.
    fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
        tiff.extend_from_slice(&[0x00, 0x02]); // two entries
        tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00]);
        tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
        tiff.extend_from_slice(&[0x00, 0x00, 0x00, 0x00]); // no next IFD
        tiff.extend_from_slice(b"51.1614N 4.9896E home");
        let mut segment = b"Exif\x00\x00".to_vec();
        segment.extend_from_slice(&tiff);
        let length = u16::try_from(segment.len() + 2).unwrap().to_be_bytes();
        let plain = jpeg(width, height);
        let mut bytes = plain[..2].to_vec();
        bytes.extend_from_slice(&[0xff, 0xe1, length[0], length[1]]);
        bytes.extend_from_slice(&segment);
        bytes.extend_from_slice(&plain[2..]);
        bytes
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|window| window == needle)
    }

    #[test]
    fn a_phone_photo_is_turned_upright_and_keeps_nothing_but_its_pixels() {
        let upload = phone_jpeg(40, 20);
        assert!(contains(&upload, b"Exif") && contains(&upload, b"home"));
        let kept = reencode(&upload).unwrap();
        assert_eq!((kept.media_type, kept.width, kept.height), ("image/jpeg", 20, 40), "turned upright");
        assert!(!contains(&kept.bytes, b"Exif") && !contains(&kept.bytes, b"home"), "no metadata kept");
        let again = image::load_from_memory(&kept.bytes).unwrap();
        assert_eq!((again.width(), again.height()), (20, 40));
    }

    #[test]
    fn a_png_stays_a_png_without_its_text_and_trailing_bytes() {
        let picture = RgbaImage::from_pixel(30, 10, Rgba([255, 0, 0, 128]));
        let mut upload = Vec::new();
        picture.write_to(&mut Cursor::new(&mut upload), ImageFormat::Png).unwrap();
        upload.extend_from_slice(b"<script>hidden after the end</script>");
        let kept = reencode(&upload).unwrap();
        assert_eq!((kept.media_type, kept.extension, kept.width, kept.height), ("image/png", "png", 30, 10));
        assert!(!contains(&kept.bytes, b"script"));
        assert_eq!(image::load_from_memory(&kept.bytes).unwrap().to_rgba8().get_pixel(0, 0), &Rgba([255, 0, 0, 128]));
    }

    #[test]
    fn a_large_picture_is_scaled_down_keeping_its_shape() {
        let kept = reencode(&jpeg(3200, 1000)).unwrap();
        assert_eq!((kept.width, kept.height), (MAX_SIDE, 500));
    }

    #[test]
    fn what_is_not_a_small_jpeg_or_png_is_refused() {
        assert_eq!(reencode(&vec![0xff; MAX_PICTURE_BYTES + 1]), Err(PictureRefusal::TooLarge));
        for upload in [&b"GIF89a......"[..], b"hello", b"", &jpeg(8, 8)[..40]] {
            let refused = reencode(upload).unwrap_err();
            assert_eq!(refused.code(), "INVALID_PICTURE", "{refused}");
        }
    }
}
