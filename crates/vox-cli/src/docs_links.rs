//! Every relative link in README.md and docs/ leads somewhere: the file exists and, when the link
//! names a heading (`door.md#tools`), the heading does. The documentation stands on its own: no
//! page points outside the repository.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn repository() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn pages() -> Vec<PathBuf> {
        let mut pages = vec![repository().join("README.md")];
        for entry in std::fs::read_dir(repository().join("docs")).expect("docs/") {
            let path = entry.expect("a docs entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
        pages
    }

    /// `line` without its code spans (`` `[x](y)` `` shows markdown, it links nowhere).
    fn without_code_spans(line: &str) -> String {
        line.split('`').step_by(2).collect()
    }

    /// The targets of `[text](target)` links, outside code blocks and spans.
    fn links(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut in_code = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if in_code {
                continue;
            }
            let line = without_code_spans(line);
            let mut rest = line.as_str();
            while let Some(start) = rest.find("](") {
                let after = &rest[start + 2..];
                let Some(end) = after.find(')') else { break };
                found.push(after[..end].to_string());
                rest = &after[end..];
            }
        }
        found
    }

    /// A heading as GitHub names its anchor: lower case, punctuation dropped, spaces as dashes.
    fn anchor(heading: &str) -> String {
        heading
            .trim_start_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    }

    fn has_heading(page: &Path, wanted: &str) -> bool {
        let text = std::fs::read_to_string(page).unwrap_or_default();
        text.lines()
            .filter(|line| line.starts_with('#'))
            .any(|line| anchor(line) == wanted)
    }

    #[test]
    fn every_relative_link_resolves() {
        let mut broken = Vec::new();
        for page in pages() {
            let text = std::fs::read_to_string(&page).unwrap();
            for link in links(&text) {
                if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("mailto:")
                {
                    continue;
                }
                let (path, heading) = link.split_once('#').unwrap_or((&link, ""));
                let target = match path {
                    "" => page.clone(),
                    path => page.parent().unwrap().join(path),
                };
                let fine = target.exists() && (heading.is_empty() || has_heading(&target, heading));
                if !fine {
                    broken.push(format!("{}: {link}", page.display()));
                }
            }
        }
        assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    }

    #[test]
    fn no_page_points_outside_the_repository() {
        for page in pages() {
            let text = std::fs::read_to_string(&page).unwrap();
            assert!(!text.contains("../shared"), "{} names ../shared", page.display());
        }
    }

    #[test]
    fn the_readme_reads_in_ten_minutes() {
        let lines = std::fs::read_to_string(repository().join("README.md"))
            .unwrap()
            .lines()
            .count();
        assert!(lines <= 250, "README.md has {lines} lines");
    }
}
