//! The batch of verdict events handed to an exporter: one text buffer and one
//! span table, so building and borrowing a batch allocates nothing per event.

use dos_plugin_api::EventRef;

/// Events to export, each a seq and a JSON record in the journal's line shape.
#[derive(Debug, Default, Clone)]
pub struct EventBatch {
    text: String,
    spans: Vec<(i64, usize, usize)>,
}

impl EventBatch {
    /// An empty batch with room for `events` records of about `bytes` in total.
    pub fn with_capacity(events: usize, bytes: usize) -> Self {
        EventBatch {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(events),
        }
    }

    /// Append one record (without its trailing newline).
    pub fn push(&mut self, seq: i64, record: &str) {
        let start = self.text.len();
        self.text.push_str(record);
        self.spans.push((seq, start, record.len()));
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Bytes of record text held.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The seqs in batch order.
    pub fn seqs(&self) -> impl Iterator<Item = i64> + '_ {
        self.spans.iter().map(|(seq, _, _)| *seq)
    }

    /// The record of event `i`.
    pub fn record(&self, i: usize) -> Option<&str> {
        self.spans
            .get(i)
            .map(|&(_, start, len)| &self.text[start..start + len])
    }

    /// Borrowed views for the FFI call (one allocation for the whole batch).
    pub fn refs(&self) -> Vec<EventRef<'_>> {
        self.spans
            .iter()
            .map(|&(seq, start, len)| EventRef {
                seq,
                record: self.text[start..start + len].into(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_borrow_each_record() {
        let mut b = EventBatch::default();
        b.push(1, r#"{"seq": 1}"#);
        b.push(7, r#"{"seq": 7, "x": "é"}"#);
        let refs = b.refs();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[1].seq, 7);
        assert_eq!(refs[1].record.as_str(), r#"{"seq": 7, "x": "é"}"#);
        assert_eq!(b.record(0), Some(r#"{"seq": 1}"#));
        assert_eq!(b.seqs().collect::<Vec<_>>(), vec![1, 7]);
    }
}
