//! CSV exports: RFC 4180 by the `csv` crate, with formula injection neutralised: a cell a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) gets a leading apostrophe, so it opens as the text it is.

/// A cell as it may be written.
pub fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The rows (the first is the header) as one CSV text.
pub fn to_csv(rows: &[Vec<String>]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(row.iter().map(|c| cell(c)))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 64 * 1024;

/// The receiving end went away (the client closed the download).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("the download was closed")]
    Closed,
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("reading the rows: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    App(#[from] crate::error::AppError),
}

/// A chunk of a streamed export, as an HTTP body takes it.
pub type Chunk = Result<Vec<u8>, std::io::Error>;

/// CSV written in chunks to `tx` as they fill (formula-like cells neutralised), so an export of
/// any size holds about one chunk in memory; the channel's bound makes a slow reader slow the
/// writer down rather than fill memory.
pub struct CsvStream {
    w: csv::Writer<Vec<u8>>,
    tx: tokio::sync::mpsc::Sender<Chunk>,
}

impl CsvStream {
    pub fn new(tx: tokio::sync::mpsc::Sender<Chunk>) -> Self {
        Self {
            w: csv::Writer::from_writer(Vec::with_capacity(CHUNK)),
            tx,
        }
    }

    pub async fn row<I, S>(&mut self, cells: I) -> Result<(), StreamError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.w
            .write_record(cells.into_iter().map(|c| cell(c.as_ref())))?;
        if self.w.get_ref().len() >= CHUNK {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), StreamError> {
        // A fresh writer per chunk: `into_inner` flushes and hands the bytes over.
        let full = std::mem::replace(
            &mut self.w,
            csv::Writer::from_writer(Vec::with_capacity(CHUNK)),
        );
        let chunk = full
            .into_inner()
            .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
        if chunk.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Ok(chunk))
            .await
            .map_err(|_| StreamError::Closed)
    }

    /// Sends what is left.
    pub async fn finish(mut self) -> Result<(), StreamError> {
        self.send().await
    }

    /// Ends the download with an error (the client sees a broken transfer, never a short file
    /// that looks complete).
    pub async fn fail(self, why: &StreamError) {
        let _ = self
            .tx
            .send(Err(std::io::Error::other(why.to_string())))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_open_as_text_and_quotes_survive_a_round_trip() {
        let rows = vec![
            vec!["order".to_string(), "note".to_string()],
            vec![
                "=HYPERLINK(\"x\")".to_string(),
                "a, \"quoted\" note".to_string(),
            ],
            vec!["-1".to_string(), "@SUM(A1)".to_string()],
        ];
        let text = to_csv(&rows).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let back: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            back,
            vec![
                vec![
                    "'=HYPERLINK(\"x\")".to_string(),
                    "a, \"quoted\" note".to_string()
                ],
                vec!["'-1".to_string(), "'@SUM(A1)".to_string()],
            ]
        );
    }

    #[tokio::test]
    async fn a_stream_sends_chunks_that_add_up_to_the_whole_file() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let writer = tokio::spawn(async move {
            let mut out = CsvStream::new(tx);
            out.row(["order", "note"]).await.unwrap();
            for i in 0..20_000 {
                out.row([format!("O{i}"), "=1+1".to_string()])
                    .await
                    .unwrap();
            }
            out.finish().await.unwrap();
        });
        let mut chunks = 0;
        let mut all = Vec::new();
        while let Some(chunk) = rx.recv().await {
            let chunk = chunk.unwrap();
            assert!(chunk.len() < 2 * CHUNK, "bounded chunks");
            all.extend(chunk);
            chunks += 1;
        }
        writer.await.unwrap();
        assert!(chunks > 1, "streamed, not one piece");
        let mut r = csv::Reader::from_reader(all.as_slice());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 20_000);
        assert_eq!(&rows[19_999][0], "O19999");
        assert_eq!(&rows[0][1], "'=1+1");
    }
}
