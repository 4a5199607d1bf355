//! A workaround for a `zip` 9.x bug that rejects some valid `torch.save` files.
//!
//! `torch.save` always writes a ZIP64 end record and locator (76 bytes) between the central
//! directory and the 32-bit end record, whose fields still hold the real size and offset. The
//! `zip` crate first guesses the directory's start as `end record − directory size`, 76 bytes
//! too far; when the first central header is itself 76 bytes long (a 21-character file stem:
//! 46 + `<stem>/data.pkl`), the guess lands on the second header, every offset is shifted and
//! the read fails with "Invalid Central Directory header". Such a file is read from a copy
//! whose 32-bit end record says "see the ZIP64 record" (size and offset 0xFFFFFFFF), which
//! the crate then follows to the right place.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

const END: &[u8; 4] = b"PK\x05\x06";
const LOCATOR: &[u8; 4] = b"PK\x06\x07";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";

/// A patched temporary copy of `path` when the `zip` crate would misplace its central
/// directory, else `None`. Keep the copy alive as long as tensors read from it are.
pub(crate) fn patched_copy(path: &Path) -> std::io::Result<Option<tempfile::TempPath>> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let tail_len = len.min(22 + 0xFFFF + 20);
    f.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0; tail_len as usize];
    f.read_exact(&mut tail)?;
    let Some(e) = tail.windows(4).rposition(|w| w == END) else {
        return Ok(None);
    };
    let (Some(eocd), Some(locator)) = (tail.get(e..e + 22), e.checked_sub(20)) else {
        return Ok(None);
    };
    let u32_at = |i: usize| u32::from_le_bytes([eocd[i], eocd[i + 1], eocd[i + 2], eocd[i + 3]]);
    let (size, offset) = (u32_at(12), u32_at(16));
    if size == u32::MAX || offset == u32::MAX || &tail[locator..locator + 4] != LOCATOR {
        return Ok(None);
    }
    let eocd_pos = len - tail_len + e as u64;
    let Some(guess) = eocd_pos
        .checked_sub(u64::from(size))
        .filter(|&g| g > u64::from(offset))
    else {
        return Ok(None);
    };
    let mut sig = [0u8; 4];
    f.seek(SeekFrom::Start(guess))?;
    if f.read_exact(&mut sig).is_err() || &sig != CENTRAL {
        return Ok(None);
    }
    let tmp = tempfile::Builder::new()
        .suffix(".pth")
        .tempfile()?
        .into_temp_path();
    std::fs::copy(path, &tmp)?;
    let mut out = std::fs::OpenOptions::new().write(true).open(&tmp)?;
    out.seek(SeekFrom::Start(eocd_pos + 12))?;
    out.write_all(&[0xFF; 8])?;
    Ok(Some(tmp))
}
