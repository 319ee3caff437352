//! Marked regions: where a lab's solution sits in the real sources, and its stub.
//!
//! **Concept.** A lab is not a second copy of the code. Its solution is marked in place:
//!
//! ```text
//! // LAB(select-join) begin: poll every unfinished child, keep outputs in order
//! ...the real code...
//! // LAB(select-join) end
//! ```
//!
//! The handout replaces the lines from `begin` to `end` (both included) with a comment and
//! `todo!("the hint")`, indented like the `begin` line. `todo!()` has the type `!`, so the stub
//! compiles wherever the region was a block of statements or a block's final expression.
//!
//! **Where.** [`find_regions`] reads one file's marks (and rejects a nested `begin`, an `end`
//! without `begin`, or a region left open), [`stub`] rewrites a file for a set of labs.
//!
//! **In the debugger.** Break in `find_regions` and print `regions` to see what one file holds.

use std::fmt;

/// One marked region: lines `begin..=end` (0-based) of a file belong to lab `lab`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The lab's name, as written between the parentheses.
    pub lab: String,
    /// The one-line hint after `begin:` (empty if none).
    pub hint: String,
    /// 0-based line of the `begin` mark.
    pub begin: usize,
    /// 0-based line of the `end` mark.
    pub end: usize,
}

/// A mark that cannot be read: which line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkError {
    /// 1-based line number, as an editor shows it.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for MarkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What one marked line says.
enum Mark {
    Begin { lab: String, hint: String },
    End { lab: String },
}

/// Reads a line as a mark, if it is one. `Err` for a line that starts like a mark but is not one.
fn parse_mark(line: &str) -> Result<Option<Mark>, String> {
    let Some(rest) = line.trim_start().strip_prefix("// LAB(") else {
        return Ok(None);
    };
    let Some((lab, after)) = rest.split_once(')') else {
        return Err("a LAB( mark without its closing parenthesis".into());
    };
    if lab.is_empty()
        || !lab
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "lab name `{lab}` must be lowercase letters, digits and dashes"
        ));
    }
    let lab = lab.to_string();
    let after = after.trim();
    if after == "end" {
        return Ok(Some(Mark::End { lab }));
    }
    if let Some(rest) = after.strip_prefix("begin") {
        let rest = rest.trim_start();
        if let Some(hint) = rest.strip_prefix(':') {
            return Ok(Some(Mark::Begin {
                lab,
                hint: hint.trim().to_string(),
            }));
        }
        if rest.is_empty() {
            return Ok(Some(Mark::Begin {
                lab,
                hint: String::new(),
            }));
        }
    }
    // `// LAB(name): ...` is how a stub announces itself; any other text is a typo.
    if after.starts_with(':') {
        return Ok(None);
    }
    Err(format!(
        "after LAB({lab}) expected `begin: hint` or `end`, found `{after}`"
    ))
}

/// Every marked region of one file's text, in order.
pub fn find_regions(text: &str) -> Result<Vec<Region>, MarkError> {
    let mut regions = Vec::new();
    let mut open: Option<(String, String, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let error = |message: String| MarkError { line: n + 1, message };
        match (parse_mark(line).map_err(error)?, open.take()) {
            (None, still_open) => open = still_open,
            (Some(Mark::Begin { lab, hint }), None) => open = Some((lab, hint, n)),
            (Some(Mark::Begin { lab, .. }), Some((outer, _, at))) => {
                return Err(error(format!(
                    "LAB({lab}) begins inside LAB({outer}), opened on line {}",
                    at + 1
                )));
            }
            (Some(Mark::End { lab }), None) => {
                return Err(error(format!("LAB({lab}) end without a begin")));
            }
            (Some(Mark::End { lab }), Some((opened, hint, begin))) => {
                if lab != opened {
                    return Err(error(format!("LAB({lab}) end closes LAB({opened})")));
                }
                regions.push(Region {
                    lab,
                    hint,
                    begin,
                    end: n,
                });
            }
        }
    }
    match open {
        Some((lab, _, at)) => Err(MarkError {
            line: at + 1,
            message: format!("LAB({lab}) begins here and never ends"),
        }),
        None => Ok(regions),
    }
}

/// Writes `hint` as a `todo!` format string: quotes, backslashes and braces escaped.
fn todo_literal(hint: &str) -> String {
    let mut out = String::new();
    for c in hint.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out
}

/// The stub that replaces one region.
fn stub_lines(region: &Region, indent: &str) -> [String; 2] {
    [
        format!(
            "{indent}// LAB({}): your code goes here (see LABS/{}.md)",
            region.lab, region.lab
        ),
        format!("{indent}todo!(\"{}\")", todo_literal(&region.hint)),
    ]
}

/// `text` with every region of a lab in `labs` replaced by its stub; other marks stay as
/// they are (their solutions stay in). Returns the new text and how many regions it stubbed.
pub fn stub(text: &str, labs: &[&str]) -> Result<(String, usize), MarkError> {
    let regions = find_regions(text)?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut next = 0;
    let mut stubbed = 0;
    for region in regions.iter().filter(|r| labs.contains(&r.lab.as_str())) {
        out.extend(lines[next..region.begin].iter().map(|l| l.to_string()));
        let begin_line = lines[region.begin];
        let indent = &begin_line[..begin_line.len() - begin_line.trim_start().len()];
        out.extend(stub_lines(region, indent));
        next = region.end + 1;
        stubbed += 1;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok((joined, stubbed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "fn add(a: u32, b: u32) -> u32 {
    // LAB(add) begin: return the sum of \"a\" and {b}
    a + b
    // LAB(add) end
}

fn keep() -> u32 {
    // LAB(other) begin: not handed out
    7
    // LAB(other) end
}
";

    #[test]
    fn regions_are_found_with_their_hints_and_lines() {
        let regions = find_regions(SOURCE).unwrap();
        assert_eq!(regions.len(), 2);
        assert_eq!(regions[0].lab, "add");
        assert_eq!(regions[0].hint, "return the sum of \"a\" and {b}");
        assert_eq!((regions[0].begin, regions[0].end), (1, 3));
        assert_eq!(regions[1].lab, "other");
    }

    #[test]
    fn stub_replaces_only_the_chosen_lab_and_keeps_indentation() {
        let (text, n) = stub(SOURCE, &["add"]).unwrap();
        assert_eq!(n, 1);
        assert!(
            text.contains("    todo!(\"return the sum of \\\"a\\\" and {{b}}\")\n"),
            "{text}"
        );
        assert!(!text.contains("a + b"));
        assert!(
            text.contains("    // LAB(other) begin: not handed out\n    7\n"),
            "{text}"
        );
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn a_stubbed_file_has_no_regions_of_that_lab_left() {
        let (text, _) = stub(SOURCE, &["add", "other"]).unwrap();
        assert_eq!(find_regions(&text).unwrap(), vec![]);
    }

    #[test]
    fn nested_unclosed_and_stray_marks_are_errors_with_line_numbers() {
        let nested = "// LAB(a) begin: x\n// LAB(b) begin: y\n// LAB(b) end\n// LAB(a) end\n";
        assert_eq!(find_regions(nested).unwrap_err().line, 2);
        let open = "fn f() {}\n// LAB(a) begin: x\n";
        assert_eq!(find_regions(open).unwrap_err().line, 2);
        let stray = "// LAB(a) end\n";
        assert!(
            find_regions(stray)
                .unwrap_err()
                .message
                .contains("without a begin")
        );
        let crossed = "// LAB(a) begin: x\n// LAB(b) end\n";
        assert!(
            find_regions(crossed)
                .unwrap_err()
                .message
                .contains("closes LAB(a)")
        );
        let typo = "// LAB(a) beginn\n";
        assert!(find_regions(typo).is_err());
        let bad_name = "// LAB(Big) begin: x\n// LAB(Big) end\n";
        assert!(find_regions(bad_name).is_err());
    }
}
