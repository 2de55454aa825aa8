//! Comments around a table that goes: the ones directly above its header are its own and
//! go with it; the ones above a blank line before it belong to what came before (a
//! section note, the end of the file) and stay.

use toml_edit::{DocumentMut, Item, Table};

/// Takes the comments above `[SECTION.NAME]` that a blank line separates from it, to be
/// kept when the table is removed ([`put_back`]).
pub fn detached(doc: &DocumentMut, section: &str, name: &str) -> Option<(String, isize)> {
    let table = doc.get(section)?.as_table()?.get(name)?.as_table()?;
    let prefix = table.decor().prefix()?.as_str()?.to_string();
    let position = table.position()?;
    // Everything up to the last blank line is not the table's.
    let cut = prefix.rfind("\n\n")?;
    let kept = prefix[..cut + 1].to_string();
    kept.lines()
        .any(|l| l.trim_start().starts_with('#'))
        .then_some((kept, position))
}

/// Puts `kept` back in front of the first table after `position`, or at the end.
pub fn put_back(doc: &mut DocumentMut, (kept, position): (String, isize)) {
    let mut next: Option<&mut Table> = None;
    let mut best = isize::MAX;
    for (_, item) in doc.iter_mut() {
        let Item::Table(outer) = item else { continue };
        let outer: &mut Table = outer;
        for (_, inner) in outer.iter_mut() {
            if let Item::Table(table) = inner
                && let Some(p) = table.position()
                && p > position
                && p < best
            {
                best = p;
                next = Some(table);
            }
        }
    }
    match next {
        Some(table) => {
            let old = table
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .to_string();
            table.decor_mut().set_prefix(format!("{kept}{old}"));
        }
        None => {
            let trailing = doc.trailing().as_str().unwrap_or_default().to_string();
            doc.set_trailing(format!("{kept}{trailing}"));
        }
    }
}
