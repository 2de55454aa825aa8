//! The change to config.toml as the editor shows it before writing: a line diff with
//! context, secrets masked.

/// One line of a change as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
    /// Unchanged lines left out.
    Skipped(usize),
}

/// The lines that differ between two texts (a longest-common-subsequence diff), with
/// `context` unchanged lines around each change; `client_secret` values are masked.
pub fn diff(before: &str, after: &str, context: usize) -> Vec<DiffLine> {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let mask = |line: &str| match line.split_once('=') {
        Some((key, _)) if key.trim() == "client_secret" => format!("{key}= \"••••••\""),
        _ => line.to_string(),
    };
    // Common start and end first; the table then only covers the changed middle.
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (a, b) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut full: Vec<DiffLine> = old[..prefix]
        .iter()
        .map(|l| DiffLine::Same(mask(l)))
        .collect();
    if a.len().saturating_mul(b.len()) <= 4_000_000 {
        // lcs[i][j]: common lines of a[i..] and b[j..].
        let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                full.push(DiffLine::Same(mask(a[i])));
                (i, j) = (i + 1, j + 1);
            } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                full.push(DiffLine::Removed(mask(a[i])));
                i += 1;
            } else {
                full.push(DiffLine::Added(mask(b[j])));
                j += 1;
            }
        }
    } else {
        full.extend(a.iter().map(|l| DiffLine::Removed(mask(l))));
        full.extend(b.iter().map(|l| DiffLine::Added(mask(l))));
    }
    full.extend(
        old[old.len() - suffix..]
            .iter()
            .map(|l| DiffLine::Same(mask(l))),
    );

    // Keep `context` unchanged lines around changes; fold the rest.
    let changed: Vec<bool> = full
        .iter()
        .map(|l| !matches!(l, DiffLine::Same(_)))
        .collect();
    let total = full.len();
    let near = |k: usize| {
        let from = k.saturating_sub(context);
        let to = (k + context + 1).min(total);
        changed[from..to].iter().any(|c| *c)
    };
    let mut lines = Vec::new();
    let mut skipped = 0;
    for (k, line) in full.into_iter().enumerate() {
        if changed[k] || near(k) {
            if skipped > 0 {
                lines.push(DiffLine::Skipped(skipped));
                skipped = 0;
            }
            lines.push(line);
        } else {
            skipped += 1;
        }
    }
    if skipped > 0 {
        lines.push(DiffLine::Skipped(skipped));
    }
    lines
}
