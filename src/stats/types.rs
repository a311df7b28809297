//! Traffic per message type: counts each way, bytes, the largest frame
//! and the round trips of the requests of that type. The table is
//! bounded: past [`MAX_TYPES`] names, the rest count as one "(other)".

use std::collections::HashMap;

use super::latency::LatencyHistogram;

/// Distinct types kept by name.
pub const MAX_TYPES: usize = 200;
/// The row that counts every type past the first [`MAX_TYPES`].
pub const OTHER: &str = "(other)";
/// Characters of a type's name kept: a server can name a type anything.
pub const MAX_TYPE_CHARS: usize = crate::json_peek::MAX_CHARS;

/// One type's figures.
#[derive(Debug, Clone, Default)]
pub struct TypeStats {
    pub name: String,
    pub frames_in: u64,
    pub frames_out: u64,
    pub bytes: u64,
    pub max_size: u64,
    /// Round trips of the requests of this type, once one was paired.
    pub latency: Option<Box<LatencyHistogram>>,
}

impl TypeStats {
    fn named(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    pub fn frames(&self) -> u64 {
        self.frames_in + self.frames_out
    }

    pub fn mean_size(&self) -> u64 {
        self.bytes.checked_div(self.frames()).unwrap_or(0)
    }

    fn merge(&mut self, other: &Self) {
        self.frames_in += other.frames_in;
        self.frames_out += other.frames_out;
        self.bytes += other.bytes;
        self.max_size = self.max_size.max(other.max_size);
        if let Some(theirs) = &other.latency {
            self.latency.get_or_insert_with(Default::default).merge(theirs);
        }
    }
}

#[derive(Debug, Clone)]
pub struct TypeTable {
    index: HashMap<String, usize>,
    types: Vec<TypeStats>,
    other: TypeStats,
    /// The row found last: a stream mostly repeats its latest type, and
    /// comparing a short name beats hashing it.
    last_found: Option<usize>,
}

impl Default for TypeTable {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            types: Vec::new(),
            other: TypeStats::named(OTHER),
            last_found: None,
        }
    }
}

impl TypeTable {
    fn entry(&mut self, name: &str) -> &mut TypeStats {
        let name = crate::json_peek::bounded(name);
        if let Some(last) = self.last_found
            && self.types[last].name == name
        {
            return &mut self.types[last];
        }
        if let Some(index) = self.index.get(name).copied() {
            self.last_found = Some(index);
            return &mut self.types[index];
        }
        if self.types.len() >= MAX_TYPES {
            return &mut self.other;
        }
        self.index.insert(name.to_string(), self.types.len());
        self.types.push(TypeStats::named(name));
        let last = self.types.len() - 1;
        self.last_found = Some(last);
        &mut self.types[last]
    }

    /// One frame (the tests' shorthand: frames are counted in runs).
    #[cfg(test)]
    pub fn add(&mut self, name: &str, sent: bool, size: u64) {
        self.add_many(name, sent, 1, size, size);
    }

    /// Counts `frames` frames of type `name`, of `bytes` in all, the
    /// largest of `max_size`.
    pub fn add_many(&mut self, name: &str, sent: bool, frames: u64, bytes: u64, max_size: u64) {
        let stats = self.entry(name);
        if sent {
            stats.frames_out += frames;
        } else {
            stats.frames_in += frames;
        }
        stats.bytes += bytes;
        stats.max_size = stats.max_size.max(max_size);
    }

    /// Counts the round trip of a request of type `name`.
    pub fn add_latency(&mut self, name: &str, rtt: std::time::Duration) {
        self.entry(name)
            .latency
            .get_or_insert_with(Default::default)
            .record(rtt);
    }

    pub fn merge(&mut self, other: &Self) {
        for theirs in &other.types {
            self.entry(&theirs.name).merge(theirs);
        }
        self.other.merge(&other.other);
    }

    /// Every type with frames, the most frequent first (ties by name).
    /// "(other)" takes its place by count like any type: when the names
    /// overflow, it is often the biggest row, and hiding it last would
    /// misstate which messages dominate.
    pub fn by_count(&self) -> Vec<&TypeStats> {
        let mut rows: Vec<&TypeStats> = self.types.iter().collect();
        if self.other.frames() > 0 {
            rows.push(&self.other);
        }
        rows.sort_by(|a, b| b.frames().cmp(&a.frames()).then_with(|| a.name.cmp(&b.name)));
        rows
    }

    /// Whether past [`MAX_TYPES`] names were seen.
    pub fn overflowed(&self) -> bool {
        self.other.frames() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_way_with_sizes_most_frequent_first() {
        let mut table = TypeTable::default();
        table.add("tick", false, 10);
        table.add("tick", false, 30);
        table.add("hello", true, 5);
        table.add("hello", false, 7);
        table.add("welcome", false, 100);
        let rows = table.by_count();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["hello", "tick", "welcome"]);
        let tick = rows[1];
        assert_eq!(
            (tick.frames_in, tick.frames_out, tick.mean_size(), tick.max_size),
            (2, 0, 20, 30)
        );
    }

    #[test]
    fn ten_thousand_names_keep_two_hundred_rows_and_count_the_rest() {
        let mut table = TypeTable::default();
        for n in 0..10_000 {
            table.add(&format!("type-{n}"), false, 1);
        }
        let rows = table.by_count();
        assert_eq!(rows.len(), MAX_TYPES + 1);
        // The bucket outnumbers every named type, so it leads.
        assert_eq!(
            rows.first().map(|r| (r.name.as_str(), r.frames())),
            Some((OTHER, 10_000 - MAX_TYPES as u64))
        );
        assert!(table.overflowed());
    }

    #[test]
    fn a_long_name_is_cut_and_counted_with_its_kin() {
        let mut table = TypeTable::default();
        table.add(&"é".repeat(500), false, 1);
        table.add(&"é".repeat(400), false, 1);
        let rows = table.by_count();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].name.chars().count(), MAX_TYPE_CHARS);
        assert_eq!(rows[0].frames(), 2);
    }
}
