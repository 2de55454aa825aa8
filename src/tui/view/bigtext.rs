//! A 5-row block font for the device flow's user code, readable across a room.

/// Glyphs 3 columns wide, 5 rows high; '#' is ink.
fn glyph(c: char) -> Option<[&'static str; 5]> {
    Some(match c.to_ascii_uppercase() {
        'A' => [".#.", "#.#", "###", "#.#", "#.#"],
        'B' => ["##.", "#.#", "##.", "#.#", "##."],
        'C' => [".##", "#..", "#..", "#..", ".##"],
        'D' => ["##.", "#.#", "#.#", "#.#", "##."],
        'E' => ["###", "#..", "##.", "#..", "###"],
        'F' => ["###", "#..", "##.", "#..", "#.."],
        'G' => [".##", "#..", "#.#", "#.#", ".##"],
        'H' => ["#.#", "#.#", "###", "#.#", "#.#"],
        'I' => ["###", ".#.", ".#.", ".#.", "###"],
        'J' => ["..#", "..#", "..#", "#.#", ".#."],
        'K' => ["#.#", "#.#", "##.", "#.#", "#.#"],
        'L' => ["#..", "#..", "#..", "#..", "###"],
        'M' => ["#.#", "###", "###", "#.#", "#.#"],
        'N' => ["##.", "#.#", "#.#", "#.#", "#.#"],
        'O' => [".#.", "#.#", "#.#", "#.#", ".#."],
        'P' => ["##.", "#.#", "##.", "#..", "#.."],
        'Q' => [".#.", "#.#", "#.#", "##.", ".##"],
        'R' => ["##.", "#.#", "##.", "#.#", "#.#"],
        'S' => [".##", "#..", ".#.", "..#", "##."],
        'T' => ["###", ".#.", ".#.", ".#.", ".#."],
        'U' => ["#.#", "#.#", "#.#", "#.#", "###"],
        'V' => ["#.#", "#.#", "#.#", "#.#", ".#."],
        'W' => ["#.#", "#.#", "###", "###", "#.#"],
        'X' => ["#.#", "#.#", ".#.", "#.#", "#.#"],
        'Y' => ["#.#", "#.#", ".#.", ".#.", ".#."],
        'Z' => ["###", "..#", ".#.", "#..", "###"],
        '0' => ["###", "#.#", "#.#", "#.#", "###"],
        '1' => [".#.", "##.", ".#.", ".#.", "###"],
        '2' => ["##.", "..#", ".#.", "#..", "###"],
        '3' => ["##.", "..#", ".#.", "..#", "##."],
        '4' => ["#.#", "#.#", "###", "..#", "..#"],
        '5' => ["###", "#..", "##.", "..#", "##."],
        '6' => [".##", "#..", "###", "#.#", "###"],
        '7' => ["###", "..#", ".#.", ".#.", ".#."],
        '8' => ["###", "#.#", "###", "#.#", "###"],
        '9' => ["###", "#.#", "###", "..#", "##."],
        '-' => ["...", "...", "###", "...", "..."],
        ' ' => ["...", "...", "...", "...", "..."],
        _ => return None,
    })
}

/// The text in large type (each ink cell two columns wide), or `None` when a character
/// has no glyph (the caller shows the plain text then).
pub fn render(text: &str) -> Option<Vec<String>> {
    let glyphs: Option<Vec<_>> = text.chars().map(glyph).collect();
    let glyphs = glyphs?;
    let rows = (0..5)
        .map(|row| {
            glyphs
                .iter()
                .map(|g| {
                    g[row]
                        .chars()
                        .map(|c| if c == '#' { "██" } else { "  " })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect();
    Some(rows)
}

/// Width in columns of `render(text)`.
pub fn width(text: &str) -> usize {
    let n = text.chars().count();
    if n == 0 { 0 } else { n * 6 + (n - 1) * 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_codes_in_five_rows() {
        let rows = render("AB-1").expect("glyphs");
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.chars().count() == width("AB-1")));
        // A: .#.   B: ##.   -: ...   1: .#.  (each cell two columns, glyphs two apart)
        assert_eq!(rows[0], "  ██    ████              ██  ");
    }

    #[test]
    fn unknown_characters_fall_back() {
        assert_eq!(render("AB_C"), None);
    }
}
