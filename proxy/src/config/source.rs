//! [`Source`]: the file being loaded, turning byte spans into `line:column` errors.

use super::error::ConfigError;
use std::ops::Range;
use std::path::Path;

/// The configuration text and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// An error pointing at `span`.
    pub fn error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = self.line_column(span.start);
        let mut fix = fix.into();
        if !fix.ends_with(['.', '?', '!']) {
            fix.push('.');
        }
        ConfigError::Invalid {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.into(),
            problem: problem.into(),
            fix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let src = Source {
            file: Path::new("x.toml"),
            text: "a = 1\nbé = 2\n",
        };
        assert_eq!(src.line_column(0), (1, 1));
        assert_eq!(src.line_column(4), (1, 5));
        assert_eq!(src.line_column(6), (2, 1));
        // After the two-byte `é`, the column counts characters, not bytes.
        assert_eq!(src.line_column(9), (2, 3));
        assert_eq!(src.line_column(1000), (3, 1));
    }

    #[test]
    fn message_shape() {
        let src = Source {
            file: Path::new("/etc/sockhop.toml"),
            text: "\n\nweight = 300\n",
        };
        let e = src.error(
            11..14,
            "listen[0].server[1].weight",
            "300 is out of range",
            "Use a weight from 0 to 256",
        );
        assert_eq!(
            e.to_string(),
            "/etc/sockhop.toml:3:10: listen[0].server[1].weight: 300 is out of range. Use a weight from 0 to 256."
        );
        assert_eq!(e.line(), Some(3));
    }
}
