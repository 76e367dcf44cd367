//! A check of an `.xls` workbook before the workbook reader opens it.
//!
//! An `.xls` file is a compound file (a small file system of sectors) holding a BIFF stream.
//! calamine believes the numbers the file states: it reserves what the header says (16 GB from a
//! 522-byte file), follows sector chains without noticing a loop, and lays every sheet out as a
//! dense grid from its first to its last cell, all when the workbook is opened. An allocation
//! that fails aborts the process, which no `catch_unwind` can turn into an error. So this walk
//! reads the same structure the way calamine will, with every number checked against the file
//! (a sector number inside it, a chain that ends, a stream no longer than the file) and every
//! allocation calamine will make added up against a limit, and refuses the file before calamine
//! sees it. Whatever this walk finds merely malformed, without a size at stake, it leaves to
//! calamine, which reports it.

use std::mem::size_of;

/// The compound file's signature.
const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Sector numbers from here up are markers, not sectors (calamine's `RESERVED_SECTORS`).
const RESERVED: u32 = 0xFFFF_FFFA;
/// DIFAT entries from here up name no FAT sector.
const DIFSECT: u32 = 0xFFFF_FFFC;
/// The end of a sector chain.
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Streams shorter than this live in the mini stream, in 64-byte sectors.
const MINI_CUTOFF: usize = 4096;
const MINI_SECTOR: usize = 64;

/// Why a compound file is refused: what is wrong, in words for the person who has the file.
pub(crate) type Refusal = String;

/// Checks `bytes` (a whole file) when it is a compound file; anything else passes. `limit` is the
/// most memory, in bytes, the reader may take for the file's structure and its sheets.
pub(crate) fn check(bytes: &[u8], limit: u64) -> Result<(), Refusal> {
    if !bytes.starts_with(&SIGNATURE) || bytes.len() < 512 {
        return Ok(());
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let size = match u16_at(30) {
        0x0009 => 512,
        0x000C if bytes.len() >= 4096 => 4096,
        // Another sector size, or a file cut short: calamine refuses it.
        _ => return Ok(()),
    };
    let file = Sectors::new(&bytes[size..], size);
    let count = file.count();
    let mut budget = Budget { used: 0, limit };

    // The header's counts, each of which calamine reserves room for.
    let dir_len = u32_at(40) as usize;
    let fat_len = u32_at(44) as usize;
    let dir_start = u32_at(48);
    let mini_fat_start = u32_at(60);
    let mini_fat_len = u32_at(64) as usize;
    let difat_start = u32_at(68);
    for (what, n) in [
        ("directory", dir_len),
        ("FAT", fat_len),
        ("mini FAT", mini_fat_len),
    ] {
        if n > count {
            return Err(format!(
                "its header gives {n} {what} sectors, but the file holds {count}"
            ));
        }
    }
    // calamine reads the DIFAT's length from bytes 62..66 (two bytes off the field's place) and
    // reserves that many entries: a number no file controls sensibly, so it is counted too.
    budget.take(u32_at(62) as u64 * 4, "its sector table")?;
    budget.take(fat_len as u64 * 4, "its sector table")?;
    budget.take(bytes.len() as u64, "its sectors")?;

    // The DIFAT: 109 entries in the header, the rest in a chain of sectors, each ending with
    // the next one's number.
    let mut difat: Vec<u32> = words(&bytes[76..512]).collect();
    let mut id = difat_start;
    let mut steps = 0;
    while id < RESERVED {
        steps += 1;
        if steps > count {
            return Err("its sector allocation table (DIFAT) runs in a loop".into());
        }
        difat.extend(words(file.sector(id)?));
        match difat.pop() {
            Some(next) => id = next,
            None => return Ok(()),
        }
    }

    // The FAT: the sectors the DIFAT names, read in order.
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        fat.extend(words(file.sector(id)?));
    }

    // The directory: a chain of 128-byte entries; the first is the root, whose stream is the
    // mini stream.
    budget.take((dir_len * size) as u64, "its directory")?;
    let mut dir = file.chain(dir_start, &fat)?;
    if dir_len > 0 {
        dir.truncate(dir_len * size);
    }
    let entries: Vec<Entry> = dir
        .chunks(128)
        .map_while(|c| Entry::parse(c, size))
        .collect();
    let Some(root) = entries.first() else {
        return Ok(());
    };
    let (mini_fat, mini) = if mini_fat_len > 0 {
        budget.take(root.len, "its mini stream")?;
        let mut mini = file.chain(root.start, &fat)?;
        if root.len > 0 {
            mini.truncate(root.len as usize);
        }
        budget.take((mini_fat_len * size) as u64, "its mini sector table")?;
        let mut table = file.chain(mini_fat_start, &fat)?;
        table.truncate(mini_fat_len * size);
        (words(&table).collect::<Vec<_>>(), mini)
    } else {
        (Vec::new(), Vec::new())
    };
    let mini = Sectors::new(&mini, MINI_SECTOR);

    // The streams calamine reads: the workbook's, and with a VBA project every stream.
    let vba = entries.iter().any(|e| e.name == "_VBA_PROJECT_CUR");
    let mut workbook = None;
    for name in ["Workbook", "Book"] {
        let Some(entry) = entries.iter().find(|e| e.name == name) else {
            continue;
        };
        let stream = entry.stream(&file, &fat, &mini, &mini_fat, &mut budget)?;
        workbook.get_or_insert(stream);
    }
    if vba {
        for entry in entries.iter().filter(|e| e.kind == STREAM) {
            entry.stream(&file, &fat, &mini, &mini_fat, &mut budget)?;
        }
    }
    match workbook {
        Some(stream) => sheets(&stream, &mut budget),
        None => Ok(()),
    }
}

/// Memory calamine will take, added up as the walk meets it.
struct Budget {
    used: u64,
    limit: u64,
}

impl Budget {
    fn take(&mut self, bytes: u64, what: &str) -> Result<(), Refusal> {
        self.used = self.used.saturating_add(bytes);
        if self.used <= self.limit {
            return Ok(());
        }
        let mb = |b: u64| b as f64 / (1u64 << 20) as f64;
        Err(format!(
            "reading {what} would take {:.0} MB of memory, more than the {:.0} MB qindex allows \
             for a workbook of this size",
            mb(self.used),
            mb(self.limit)
        ))
    }
}

/// Little-endian 32-bit words (a trailing part word is dropped).
fn words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
}

/// Sectors of `size` bytes laid end to end; the last may be cut short.
struct Sectors<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl<'a> Sectors<'a> {
    fn new(bytes: &'a [u8], size: usize) -> Self {
        Sectors { bytes, size }
    }

    fn count(&self) -> usize {
        self.bytes.len().div_ceil(self.size)
    }

    /// Sector `id`; calamine would grow its buffer to reach a sector past the end.
    fn sector(&self, id: u32) -> Result<&'a [u8], Refusal> {
        let start = id as usize * self.size;
        if start >= self.bytes.len() {
            return Err(format!(
                "it names sector {id}, past the end of a file of {} sectors",
                self.count()
            ));
        }
        Ok(&self.bytes[start..(start + self.size).min(self.bytes.len())])
    }

    /// The chain of sectors from `start` through `table`, which must end within as many steps
    /// as there are sectors.
    fn chain(&self, start: u32, table: &[u32]) -> Result<Vec<u8>, Refusal> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0;
        while id != END_OF_CHAIN {
            steps += 1;
            if steps > self.count() {
                return Err("a chain of its sectors runs in a loop".into());
            }
            out.extend_from_slice(self.sector(id)?);
            id = *table.get(id as usize).ok_or_else(|| {
                format!("sector {id} is missing from its sector allocation table")
            })?;
        }
        Ok(out)
    }
}

/// The directory's object type of a stream.
const STREAM: u8 = 2;

/// A directory entry: name, object type, first sector and length.
struct Entry {
    name: String,
    kind: u8,
    start: u32,
    len: u64,
}

impl Entry {
    /// Reads an entry as calamine does (a 4-byte length in files of 512-byte sectors, an 8-byte
    /// one otherwise); `None` for a part entry at the end.
    fn parse(c: &[u8], size: usize) -> Option<Entry> {
        if c.len() < 128 {
            return None;
        }
        let units: Vec<u16> = c[..64]
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]]))
            .take_while(|u| *u != 0)
            .collect();
        let len = if size == 512 {
            u32::from_le_bytes(c[120..124].try_into().unwrap()) as u64
        } else {
            u64::from_le_bytes(c[120..128].try_into().unwrap())
        };
        Some(Entry {
            name: String::from_utf16_lossy(&units),
            kind: c[66],
            start: u32::from_le_bytes(c[116..120].try_into().unwrap()),
            len,
        })
    }

    /// The entry's stream, read as calamine reads it: from the mini stream when short.
    fn stream(
        &self,
        file: &Sectors,
        fat: &[u32],
        mini: &Sectors,
        mini_fat: &[u32],
        budget: &mut Budget,
    ) -> Result<Vec<u8>, Refusal> {
        let whole = file.bytes.len() as u64 + file.size as u64;
        if self.len > whole {
            return Err(format!(
                "its stream `{}` claims {} bytes in a file of {whole}",
                self.name, self.len
            ));
        }
        budget.take(self.len, "its workbook stream")?;
        let mut stream = if (self.len as usize) < MINI_CUTOFF {
            mini.chain(self.start, mini_fat)?
        } else {
            file.chain(self.start, fat)?
        };
        if self.len > 0 {
            stream.truncate(self.len as usize);
        }
        Ok(stream)
    }
}

/// The extent of the cells calamine lays out densely: first and last row and column.
#[derive(Default)]
struct Extent(Option<(u32, u32, u32, u32)>);

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            (r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64
        })
    }
}

/// BIFF records from `stream`: (type, data), stopping at the first malformed one (calamine
/// reports it).
fn records(mut stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if stream.len() < 4 {
            return None;
        }
        let typ = u16::from_le_bytes([stream[0], stream[1]]);
        let len = u16::from_le_bytes([stream[2], stream[3]]) as usize;
        let (record, rest) = stream.split_at_checked(len + 4)?;
        stream = rest;
        Some((typ, &record[4..]))
    })
}

/// What calamine allocates for the sheets, all laid out when the workbook opens: per sheet,
/// the room its dimensions record asks for, and a dense grid from the first to the last value
/// (and another for formulas).
fn sheets(stream: &[u8], budget: &mut Budget) -> Result<(), Refusal> {
    let u16_at = |d: &[u8], at: usize| u16::from_le_bytes([d[at], d[at + 1]]) as u32;
    let mut positions = Vec::new();
    for (typ, data) in records(stream) {
        match typ {
            // BoundSheet8: where the sheet's records start.
            0x0085 if data.len() >= 4 => {
                positions.push(u32::from_le_bytes(data[..4].try_into().unwrap()) as usize)
            }
            // EOF of the globals.
            0x000A => break,
            _ => {}
        }
    }
    let cell = size_of::<calamine::Cell<calamine::Data>>() as u64;
    for pos in positions {
        let Some(sheet) = stream.get(pos..) else {
            continue;
        };
        let mut values = Extent::default();
        let mut formulas = Extent::default();
        let mut formula_at = (0, 0);
        for (typ, d) in records(sheet) {
            match typ {
                // Dimensions: calamine reserves rows × columns cells.
                0x0200 => {
                    let (r0, r1, c0, c1) = match d.len() {
                        10 => (u16_at(d, 0), u16_at(d, 2), u16_at(d, 4), u16_at(d, 6)),
                        14 => (
                            u32::from_le_bytes(d[0..4].try_into().unwrap()),
                            u32::from_le_bytes(d[4..8].try_into().unwrap()),
                            u16_at(d, 8),
                            u16_at(d, 10),
                        ),
                        _ => continue,
                    };
                    // As calamine computes it, a last row before the first wrapping round.
                    let c0 = if c0 > 0xFF || c1 < c0 { 0 } else { c0 };
                    if r1 >= 1 && c1 >= 1 {
                        let n = r1.wrapping_sub(r0) as u64 * (c1 - c0) as u64;
                        budget.take(n.saturating_mul(cell), "the cells its sheet declares")?;
                    }
                }
                // Number, Label, BoolErr, RK, LabelSst: one cell at (row, column).
                0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD if d.len() >= 4 => {
                    values.add(u16_at(d, 0), u16_at(d, 2));
                }
                // MulRk: a row of cells from the first column to the last.
                0x00BD if d.len() >= 6 => {
                    let row = u16_at(d, 0);
                    values.add(row, u16_at(d, 2));
                    values.add(row, u16_at(d, d.len() - 2));
                }
                // Formula: its cell, and the position of a string result that follows.
                0x0006 if d.len() >= 20 => {
                    formula_at = (u16_at(d, 0), u16_at(d, 2));
                    values.add(formula_at.0, formula_at.1);
                    formulas.add(formula_at.0, formula_at.1);
                }
                0x0207 => values.add(formula_at.0, formula_at.1),
                0x000A => break,
                _ => {}
            }
        }
        let data = size_of::<calamine::Data>() as u64;
        let text = size_of::<String>() as u64;
        budget.take(values.cells().saturating_mul(data), "its sheets' cells")?;
        budget.take(
            formulas.cells().saturating_mul(text),
            "its sheets' formulas",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compound file of 512-byte sectors: a header with `fields` set (offset, value), then
    /// `sectors`.
    fn compound(fields: &[(usize, u32)], sectors: &[[u8; 512]]) -> Vec<u8> {
        let mut bytes = vec![0u8; 512];
        bytes[..8].copy_from_slice(&SIGNATURE);
        bytes[26..28].copy_from_slice(&3u16.to_le_bytes());
        bytes[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        bytes[30..32].copy_from_slice(&9u16.to_le_bytes());
        bytes[32..34].copy_from_slice(&6u16.to_le_bytes());
        for at in (76..512).step_by(4) {
            bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        for (at, v) in [(48, END_OF_CHAIN), (60, END_OF_CHAIN), (68, END_OF_CHAIN)]
            .iter()
            .chain(fields)
        {
            bytes[*at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        for s in sectors {
            bytes.extend_from_slice(s);
        }
        bytes
    }

    const LIMIT: u64 = 256 << 20;

    #[test]
    fn not_a_compound_file_passes() {
        assert!(check(b"PK\x03\x04 an xlsx", LIMIT).is_ok());
        assert!(check(&SIGNATURE, LIMIT).is_ok());
    }

    #[test]
    fn a_header_count_past_the_file_is_refused() {
        let e = check(&compound(&[(44, 0xFFFF_FFFF)], &[]), LIMIT).unwrap_err();
        assert!(e.contains("FAT sectors"), "{e}");
    }

    #[test]
    fn the_misread_difat_length_is_counted() {
        // Bytes 62..66 straddle the mini FAT's first sector and its length.
        // Mini FAT at sector 0xFFFF_0000 (never reached: the check comes first), one sector
        // long: calamine reads 0x0001_FFFF entries, 512 KB.
        let file = compound(&[(60, 0xFFFF_0000), (64, 1)], &[[0; 512]]);
        assert!(check(&file, 1 << 20).is_ok());
        let e = check(&file, 256 << 10).unwrap_err();
        assert!(e.contains("MB of memory"), "{e}");
    }

    #[test]
    fn a_sector_past_the_end_is_refused() {
        // The header's DIFAT names FAT sector 7 in a file of one sector.
        let e = check(&compound(&[(76, 7)], &[[0; 512]]), LIMIT).unwrap_err();
        assert!(e.contains("sector 7"), "{e}");
    }

    #[test]
    fn a_looping_chain_is_refused() {
        // FAT in sector 0: sector 1 → 1 (a loop); the directory starts at sector 1.
        let mut fat = [0xFFu8; 512];
        fat[..4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
        fat[4..8].copy_from_slice(&1u32.to_le_bytes());
        let e = check(&compound(&[(76, 0), (48, 1)], &[fat, [0; 512]]), LIMIT).unwrap_err();
        assert!(e.contains("loop"), "{e}");
    }

    #[test]
    fn a_difat_loop_is_refused() {
        // DIFAT sector 0 ends by naming itself.
        let mut s = [0xFFu8; 512];
        s[508..512].copy_from_slice(&0u32.to_le_bytes());
        let e = check(&compound(&[(68, 0)], &[s]), LIMIT).unwrap_err();
        assert!(e.contains("loop"), "{e}");
    }

    #[test]
    fn a_far_cell_is_counted_as_the_dense_grid_it_makes() {
        // Globals (18 bytes): one BoundSheet8 for a sheet at 18, EOF; sheet: Number at (0,0) and at (65535, 255), EOF.
        let mut s = Vec::new();
        let mut record = |typ: u16, data: &[u8]| {
            s.extend_from_slice(&typ.to_le_bytes());
            s.extend_from_slice(&(data.len() as u16).to_le_bytes());
            s.extend_from_slice(data);
        };
        record(0x0085, &[18, 0, 0, 0, 0, 0, 1, 0, b'S', 0]);
        record(0x000A, &[]);
        let number = |row: u16, col: u16| {
            let mut d = Vec::new();
            d.extend_from_slice(&row.to_le_bytes());
            d.extend_from_slice(&col.to_le_bytes());
            d.extend_from_slice(&[0; 10]);
            d
        };
        record(0x0203, &number(0, 0));
        record(0x0203, &number(65535, 255));
        record(0x000A, &[]);
        let mut budget = Budget {
            used: 0,
            limit: 64 << 20,
        };
        let e = sheets(&s, &mut budget).unwrap_err();
        assert!(e.contains("its sheets' cells"), "{e}");
        let mut roomy = Budget {
            used: 0,
            limit: 1 << 30,
        };
        sheets(&s, &mut roomy).unwrap();
        assert_eq!(roomy.used, 65536 * 256 * size_of::<calamine::Data>() as u64);
    }
}
