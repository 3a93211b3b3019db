//! The QR code CreateVirtualMFADevice returns (`QRCodePNG`): the `otpauth://` URI drawn as a PNG
//! image an authenticator app can scan. Pure: no I/O.

use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module, and the quiet zone around the code in modules (ISO/IEC 18004: 4).
const SCALE: usize = 4;
const QUIET: usize = 4;

/// `text` as a QR code in a grayscale PNG. `None` when it does not fit in a QR code.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter type None
        for x in 0..side {
            let (mx, my) = ((x / SCALE).checked_sub(QUIET), (y / SCALE).checked_sub(QUIET));
            let dark = match (mx, my) {
                (Some(mx), Some(my)) if mx < modules && my < modules => colors.get(my * modules + mx) == Some(&Color::Dark),
                _ => false,
            };
            raw.push(if dark { 0x00 } else { 0xff });
        }
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(&raw).ok()?;
    let idat = z.finish().ok()?;
    let side = u32::try_from(side).ok()?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grayscale, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr)?;
    chunk(&mut out, b"IDAT", &idat)?;
    chunk(&mut out, b"IEND", &[])?;
    Some(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Option<()> {
    out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use std::io::Read as _;

    use super::*;

    #[test]
    fn a_png_of_the_right_size_whose_pixels_are_the_code() {
        let uri = "otpauth://totp/alice@123456789012?secret=JBSWY3DPEHPK3PXP";
        let png = png(uri).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
        let modules = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap().width();
        assert_eq!(side, (modules + 2 * QUIET) * SCALE);
        // The IDAT inflates to one filter byte and `side` pixels per row; the quiet zone is white.
        let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&png[41..41 + len]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), side * (side + 1));
        assert!(raw[1..=side].iter().all(|&p| p == 0xff));
        // The finder pattern's top-left module is dark.
        let row = QUIET * SCALE;
        assert_eq!(raw[row * (side + 1) + 1 + QUIET * SCALE], 0x00);
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
    }
}
