//! Turns a catalog file in UTF-8 (with or without BOM) or GBK into UTF-8, line by line,
//! without reading the whole file first.
//!
//! Detection: a UTF-8 byte-order mark means UTF-8. Otherwise lines of plain ASCII are
//! the same in both encodings; the first line that is not decides: valid UTF-8 makes the
//! file UTF-8, else valid GBK makes it GBK. From then on every line must be valid in
//! that encoding. A line that is not is recorded as an [`EncodingIssue`] (its line and
//! the column it falls in) and passed on decoded with replacement characters, so that
//! parsing can go on and report every other error of the file too.
//!
//! A newline byte (0x0A) never occurs inside a multi-byte character in either
//! encoding, so splitting on it before decoding is exact.

use std::io::{self, BufRead, Read};

/// The encoding the file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// Only ASCII so far.
    Ascii,
    Utf8,
    Utf8Bom,
    Gbk,
}

/// A line that is not valid in the file's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingIssue {
    /// 1-based physical line.
    pub line: u64,
    /// 1-based field the bad bytes are in (commas outside quotes before them, plus one).
    pub column: usize,
    pub message: String,
}

/// A [`Read`] of UTF-8 text over a UTF-8 or GBK source.
pub struct Transcoder<R> {
    inner: R,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    line: u64,
    bytes: u64,
    detected: Detected,
    issues: Vec<EncodingIssue>,
}

fn column_of(line: &[u8], at: usize) -> usize {
    let mut quoted = false;
    let mut column = 1;
    for &b in &line[..at.min(line.len())] {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => column += 1,
            _ => {}
        }
    }
    column
}

/// Decodes GBK strictly; on failure, the offset of the first malformed byte.
fn decode_gbk(bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 4);
    let mut out = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, extra) => {
            Err(read.saturating_sub(usize::from(bad) + usize::from(extra)))
        }
        // cannot happen with the reserved capacity; treat as malformed at the end
        encoding_rs::DecoderResult::OutputFull => Err(read),
    }
}

impl<R: BufRead> Transcoder<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            raw: Vec::with_capacity(512),
            out: Vec::with_capacity(1024),
            pos: 0,
            line: 0,
            bytes: 0,
            detected: Detected::Ascii,
            issues: Vec::new(),
        }
    }

    /// Bytes of the source consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn detected(&self) -> Detected {
        self.detected
    }

    /// The lines found broken since the last call.
    pub fn take_issues(&mut self) -> Vec<EncodingIssue> {
        std::mem::take(&mut self.issues)
    }

    fn issue(&mut self, at: usize, message: String) {
        self.issues.push(EncodingIssue {
            line: self.line,
            column: column_of(&self.raw, at),
            message,
        });
    }

    fn decode_line(&mut self) {
        let mut start = 0;
        if self.line == 1 && self.raw.starts_with(b"\xEF\xBB\xBF") {
            self.detected = Detected::Utf8Bom;
            start = 3;
        }
        let bytes = &self.raw[start..];
        if bytes.is_ascii() {
            self.out.extend_from_slice(bytes);
            return;
        }
        match self.detected {
            Detected::Ascii => match std::str::from_utf8(bytes) {
                Ok(_) => {
                    self.detected = Detected::Utf8;
                    self.out.extend_from_slice(bytes);
                }
                Err(utf8) => match decode_gbk(bytes) {
                    Ok(s) => {
                        self.detected = Detected::Gbk;
                        self.out.extend_from_slice(s.as_bytes());
                    }
                    Err(_) => {
                        let at = start + utf8.valid_up_to();
                        let lossy = String::from_utf8_lossy(&self.raw[start..]).into_owned();
                        self.issue(
                            at,
                            "broken encoding: the line is neither valid UTF-8 nor valid GBK".into(),
                        );
                        self.out.extend_from_slice(lossy.as_bytes());
                    }
                },
            },
            Detected::Utf8 | Detected::Utf8Bom => {
                if let Err(e) = std::str::from_utf8(bytes) {
                    let at = start + e.valid_up_to();
                    let why = if self.detected == Detected::Utf8Bom {
                        "the file starts with a UTF-8 byte-order mark"
                    } else {
                        "earlier lines are UTF-8"
                    };
                    let lossy = String::from_utf8_lossy(&self.raw[start..]).into_owned();
                    self.issue(
                        at,
                        format!("broken encoding: the line is not valid UTF-8 ({why})"),
                    );
                    self.out.extend_from_slice(lossy.as_bytes());
                } else {
                    self.out.extend_from_slice(bytes);
                }
            }
            Detected::Gbk => match decode_gbk(bytes) {
                Ok(s) => self.out.extend_from_slice(s.as_bytes()),
                Err(at) => {
                    let (lossy, _, _) = encoding_rs::GBK.decode(&self.raw[start..]);
                    let lossy = lossy.into_owned();
                    self.issue(
                        start + at,
                        "broken encoding: the line is not valid GBK (earlier lines are GBK)".into(),
                    );
                    self.out.extend_from_slice(lossy.as_bytes());
                }
            },
        }
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            self.out.clear();
            self.pos = 0;
            self.raw.clear();
            let n = self.inner.read_until(b'\n', &mut self.raw)?;
            if n == 0 {
                return Ok(0);
            }
            self.bytes += n as u64;
            self.line += 1;
            // CRLF (as Excel writes) becomes LF: the CSV reader counts lines at LF, and a
            // record ended by CR alone would be placed on the line before its own
            if self.raw.ends_with(b"\r\n") {
                self.raw.truncate(self.raw.len() - 2);
                self.raw.push(b'\n');
            }
            // no text column holds U+0000 (PostgreSQL refuses it): named here, with its
            // column, and left out of the decoded text
            if let Some(at) = self.raw.iter().position(|&b| b == 0) {
                self.issue(
                    at,
                    "contains a NUL character (U+0000), which no text field may hold".into(),
                );
                self.raw.retain(|&b| b != 0);
            }
            self.decode_line();
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (String, Detected, Vec<EncodingIssue>) {
        let mut t = Transcoder::new(bytes);
        let mut s = String::new();
        t.read_to_string(&mut s).unwrap();
        let issues = t.take_issues();
        (s, t.detected(), issues)
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let (s, d, i) = decode("a,b\n1,阿托伐他汀\n".as_bytes());
        assert_eq!(
            (s.as_str(), d, i.len()),
            ("a,b\n1,阿托伐他汀\n", Detected::Utf8, 0)
        );
        let (s, d, _) = decode(b"\xEF\xBB\xBFa,b\n");
        assert_eq!((s.as_str(), d), ("a,b\n", Detected::Utf8Bom));
    }

    #[test]
    fn gbk_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("code,name\nX,阿托伐他汀钙片\nY,氨氯地平\n");
        let (s, d, i) = decode(&gbk);
        assert_eq!(s, "code,name\nX,阿托伐他汀钙片\nY,氨氯地平\n");
        assert_eq!(d, Detected::Gbk);
        assert!(i.is_empty());
    }

    #[test]
    fn crlf_becomes_lf_and_nul_is_named_with_its_column() {
        let (s, _, i) = decode(b"a,b\r\n1,2\r\n");
        assert_eq!((s.as_str(), i.len()), ("a,b\n1,2\n", 0));
        let (s, _, issues) = decode(b"a,b\r\n1,2\r\n3,x\0y\r\n");
        assert_eq!(s, "a,b\n1,2\n3,xy\n");
        assert_eq!(issues.len(), 1);
        assert_eq!((issues[0].line, issues[0].column), (3, 2));
        assert!(issues[0].message.contains("NUL"));
    }

    #[test]
    fn broken_lines_are_named_with_their_column() {
        let (_, _, issues) = decode(b"a,b,c\n1,2,3\n4,\"x,y\",\xFF\xFF\n");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, 3);
        assert_eq!(issues[0].column, 3);
        // UTF-8 first, then a line that is not
        let mut bytes = "a,b\n1,阿\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"2,\xB0\xA2\n");
        let (_, d, issues) = decode(&bytes);
        assert_eq!(d, Detected::Utf8);
        assert_eq!((issues[0].line, issues[0].column), (3, 2));
    }
}
