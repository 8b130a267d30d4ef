//! Record writers: NDJSON, JSON, CSV, table.

use std::io::Write;

use crate::cli::Format;
use crate::kinds::Record;

/// Writes records as they arrive, in one format.
pub struct Writer {
    out: Box<dyn Write + Send>,
    format: Format,
    written: u64,
}

const COLUMNS: [&str; 7] = [
    "provider", "account", "region", "kind", "id", "name", "state",
];

impl Writer {
    /// A writer of `format` into `out`; writes the format's header.
    pub fn new(mut out: Box<dyn Write + Send>, format: Format) -> std::io::Result<Self> {
        match format {
            Format::Json => out.write_all(b"[")?,
            Format::Csv => {
                let mut cols: Vec<&str> = COLUMNS.to_vec();
                cols.push("record");
                writeln!(out, "{}", cols.join(","))?;
            }
            Format::Table => {
                writeln!(
                    out,
                    "{:<10} {:<16} {:<16} {:<16} {:<40} {:<32} state",
                    "provider", "account", "region", "kind", "id", "name"
                )?;
            }
            Format::Ndjson => {}
        }
        Ok(Writer {
            out,
            format,
            written: 0,
        })
    }

    /// Write one record.
    pub fn write(&mut self, r: &Record) -> std::io::Result<()> {
        match self.format {
            Format::Ndjson => {
                serde_json::to_writer(&mut self.out, r)?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out
                    .write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut self.out, r)?;
            }
            Format::Csv => {
                let f = fields(r);
                let mut cells: Vec<String> = f.iter().map(|c| csv_cell(c)).collect();
                cells.push(csv_cell(&r.record.to_string()));
                writeln!(self.out, "{}", cells.join(","))?;
            }
            Format::Table => {
                let f = fields(r);
                writeln!(
                    self.out,
                    "{:<10} {:<16} {:<16} {:<16} {:<40} {:<32} {}",
                    f[0], f[1], f[2], f[3], f[4], f[5], f[6]
                )?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Write the format's trailer and flush.
    pub fn finish(mut self) -> std::io::Result<u64> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.written)
    }
}

/// The summary columns of a record: provider, account, region, kind, id,
/// name, state.
pub fn fields(r: &Record) -> [String; 7] {
    let v = &r.record;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let id = ["id", "key", "name", "service_code"]
        .iter()
        .map(|k| s(k))
        .find(|x| !x.is_empty())
        .unwrap_or_default();
    let name = ["name", "address", "bucket"]
        .iter()
        .map(|k| s(k))
        .find(|x| !x.is_empty())
        .unwrap_or_default();
    let state = [
        "state",
        "raw_state",
        "raw_status",
        "payable_amount",
        "available",
    ]
    .iter()
    .map(|k| s(k))
    .find(|x| !x.is_empty())
    .unwrap_or_default();
    [
        r.provider.clone(),
        r.account.clone(),
        r.region.clone().unwrap_or_else(|| "-".into()),
        r.kind.to_string(),
        id,
        name,
        state,
    ]
}

/// Quote a CSV cell (RFC 4180) when it needs it.
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
