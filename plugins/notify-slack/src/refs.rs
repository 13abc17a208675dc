//! The persisted edit-in-place references: `<state_dir>/slack-refs.json`, a
//! JSON object mapping each notification key to the live message
//! (`{"channel": …, "ts": …, "text": …}`). Written atomically (temp file in
//! the same directory, then rename); a missing or unreadable file is empty.

use dos_plugin_api::pyjson::{self, Style};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name under the state directory.
pub const FILE_NAME: &str = "slack-refs.json";

/// The references file inside `state_dir`.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// One live message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRef {
    /// The channel id it was posted to.
    pub channel: String,
    /// Slack's message timestamp (its id).
    pub ts: String,
    /// The text it shows now (an identical update is skipped).
    pub text: String,
}

/// All live messages, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefStore {
    entries: Vec<(String, LiveRef)>,
}

impl RefStore {
    /// Parse the file's text; anything malformed is skipped.
    pub fn parse(text: &str) -> RefStore {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
            return RefStore::default();
        };
        let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let entries = map
            .iter()
            .filter_map(|(key, v)| {
                Some((
                    key.clone(),
                    LiveRef {
                        channel: field(v, "channel")?,
                        ts: field(v, "ts")?,
                        text: field(v, "text").unwrap_or_default(),
                    },
                ))
            })
            .collect();
        RefStore { entries }
    }

    /// Read the file at `path` (missing or unreadable → empty).
    pub fn load(path: &Path) -> RefStore {
        match std::fs::read(path) {
            Ok(bytes) => RefStore::parse(&String::from_utf8_lossy(&bytes)),
            Err(_) => RefStore::default(),
        }
    }

    /// The live message for `key`.
    pub fn get(&self, key: &str) -> Option<&LiveRef> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, r)| r)
    }

    /// Remember the live message for `key` (replacing any earlier one).
    pub fn set(&mut self, key: &str, live: LiveRef) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = live,
            None => self.entries.push((key.to_string(), live)),
        }
    }

    /// The file's text: pretty JSON (Python `indent=2` style) and a newline.
    pub fn render(&self) -> String {
        let mut map = Map::new();
        for (key, live) in &self.entries {
            let mut entry = Map::new();
            entry.insert("channel".into(), Value::from(live.channel.as_str()));
            entry.insert("ts".into(), Value::from(live.ts.as_str()));
            entry.insert("text".into(), Value::from(live.text.as_str()));
            map.insert(key.clone(), Value::Object(entry));
        }
        let mut text = pyjson::dumps(&Value::Object(map), Style::PRETTY);
        text.push('\n');
        text
    }

    /// Write to `path` atomically: a temp file beside it, flushed, then renamed.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let shown = path.display();
        std::fs::create_dir_all(dir).map_err(|e| format!("{e}: '{}'", dir.display()))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(".{FILE_NAME}.{}.{nanos}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.render().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{e}: '{shown}'")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(ts: &str, text: &str) -> LiveRef {
        LiveRef {
            channel: "C0ABC".into(),
            ts: ts.into(),
            text: text.into(),
        }
    }

    #[test]
    fn round_trips_in_order() {
        let mut s = RefStore::default();
        s.set("dos-top:/ws", live("1.2", "fleet — ok\nscreen"));
        s.set("dos-notify", live("1.3", ""));
        s.set("dos-top:/ws", live("1.4", "again"));
        let text = s.render();
        assert_eq!(
            text,
            "{\n  \"dos-top:/ws\": {\n    \"channel\": \"C0ABC\",\n    \"ts\": \"1.4\",\n    \"text\": \"again\"\n  },\n  \"dos-notify\": {\n    \"channel\": \"C0ABC\",\n    \"ts\": \"1.3\",\n    \"text\": \"\"\n  }\n}\n"
        );
        assert_eq!(RefStore::parse(&text), s);
    }

    #[test]
    fn malformed_input_is_empty_or_skipped() {
        let table: &[(&str, usize)] = &[
            ("", 0),
            ("not json", 0),
            ("[1, 2]", 0),
            (r#"{"a": 1}"#, 0),
            (r#"{"a": {"channel": "C", "ts": 5}}"#, 0),
            (r#"{"a": {"channel": "C", "ts": "1"}, "b": null}"#, 1),
        ];
        for (text, n) in table {
            assert_eq!(RefStore::parse(text).entries.len(), *n, "{text}");
        }
    }
}
