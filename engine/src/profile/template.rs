//! Argument templates: strings such as `-Xmx{heap_mib}m` with `{name}` placeholders.
//!
//! A template is parsed once, when its profile loads, into literal and placeholder parts, so an
//! unknown placeholder or an unbalanced brace is a load error rather than a surprise at judging
//! time; expansion later only substitutes values. `{{` and `}}` stand for literal braces.

use std::fmt;

/// A value a template can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// The work directory inside the sandbox (`/work`).
    Dir,
    /// Absolute sandbox path of the saved source file (a directory submission's entry point).
    Source,
    /// Every source file of the language, one argument each; only as a whole argument of a
    /// command (`"{sources}"`), where it expands to as many arguments as there are files.
    Sources,
    /// Absolute sandbox path of the executable the compile step writes.
    Exe,
    /// The Java class that declares `main` (found in the source).
    Class,
    /// The step's memory limit minus the step's heap headroom, in MiB.
    HeapMib,
    /// The step's memory limit in MiB.
    MemoryMib,
}

impl Placeholder {
    /// Every placeholder, in the order error messages list them.
    pub const ALL: [Placeholder; 7] = [
        Placeholder::Dir,
        Placeholder::Source,
        Placeholder::Sources,
        Placeholder::Exe,
        Placeholder::Class,
        Placeholder::HeapMib,
        Placeholder::MemoryMib,
    ];

    /// The name written between braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Dir => "dir",
            Placeholder::Source => "source",
            Placeholder::Sources => "sources",
            Placeholder::Exe => "exe",
            Placeholder::Class => "class",
            Placeholder::HeapMib => "heap_mib",
            Placeholder::MemoryMib => "memory_mib",
        }
    }

    fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }

    /// `{dir}, {source}, ...` for error messages.
    pub fn known_list() -> String {
        let names: Vec<String> = Placeholder::ALL
            .iter()
            .map(|p| format!("{{{}}}", p.name()))
            .collect();
        names.join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Why a template string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{name}` where `name` is not a [`Placeholder`].
    Unknown(String),
    /// A `{` without its `}`.
    Unclosed,
    /// A lone `}` (write `}}` for a literal brace).
    StrayClose,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unknown(name) => write!(f, "unknown placeholder {{{name}}}"),
            TemplateError::Unclosed => {
                f.write_str("a `{` has no closing `}` (write `{{` for a literal brace)")
            }
            TemplateError::StrayClose => {
                f.write_str("a `}` has no opening `{` (write `}}` for a literal brace)")
            }
        }
    }
}

/// The values placeholders expand to, for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values<'a> {
    pub dir: &'a str,
    pub source: &'a str,
    pub sources: &'a [String],
    pub exe: &'a str,
    pub class: &'a str,
    pub heap_mib: u64,
    pub memory_mib: u64,
}

impl Values<'static> {
    /// Values for a command that names no submission's files: `{dir}` is [`super::WORK_DIR`],
    /// the rest empty.
    pub fn fixed() -> Values<'static> {
        Values {
            dir: super::WORK_DIR,
            source: "",
            sources: &[],
            exe: "",
            class: "",
            heap_mib: 0,
            memory_mib: 0,
        }
    }
}

impl Template {
    /// Parses `text`, recognising `{name}` placeholders and `{{`/`}}` escapes.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(TemplateError::StrayClose),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(TemplateError::Unclosed),
                        }
                    }
                    let var = Placeholder::from_name(&name).ok_or(TemplateError::Unknown(name))?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Var(var));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// Whether the template refers to `p` anywhere.
    pub fn uses(&self, p: Placeholder) -> bool {
        self.parts.contains(&Part::Var(p))
    }

    /// The placeholders this template refers to, in order, with repeats.
    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|part| match part {
            Part::Var(p) => Some(*p),
            Part::Literal(_) => None,
        })
    }

    /// The whole text if the template has no placeholders.
    pub fn as_literal(&self) -> Option<String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => text.push_str(s),
                Part::Var(_) => return None,
            }
        }
        Some(text)
    }

    /// The placeholder the template starts with, if any.
    pub fn leading_placeholder(&self) -> Option<Placeholder> {
        match self.parts.first() {
            Some(Part::Var(p)) => Some(*p),
            _ => None,
        }
    }

    /// Substitutes every placeholder.
    pub fn expand(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Var(Placeholder::Dir) => out.push_str(values.dir),
                Part::Var(Placeholder::Source) => out.push_str(values.source),
                Part::Var(Placeholder::Sources) => out.push_str(&values.sources.join(" ")),
                Part::Var(Placeholder::Exe) => out.push_str(values.exe),
                Part::Var(Placeholder::Class) => out.push_str(values.class),
                Part::Var(Placeholder::HeapMib) => out.push_str(&values.heap_mib.to_string()),
                Part::Var(Placeholder::MemoryMib) => out.push_str(&values.memory_mib.to_string()),
            }
        }
        out
    }

    /// Whether the template is exactly `{sources}`, which a command expands to many arguments.
    pub fn is_sources(&self) -> bool {
        self.parts == [Part::Var(Placeholder::Sources)]
    }

    /// The arguments a command template gives: every source for `{sources}`, else one.
    pub fn expand_args(&self, values: &Values<'_>) -> Vec<String> {
        if self.is_sources() {
            values.sources.to_vec()
        } else {
            vec![self.expand(values)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            dir: "/work",
            source: "/work/Main.java",
            sources: &[],
            exe: "/work/main",
            class: "Main",
            heap_mib: 192,
            memory_mib: 256,
        }
    }

    #[test]
    fn expands_every_placeholder() {
        let t = Template::parse("{dir}|{source}|{exe}|{class}|{heap_mib}|{memory_mib}").unwrap();
        assert_eq!(
            t.expand(&values()),
            "/work|/work/Main.java|/work/main|Main|192|256"
        );
    }

    #[test]
    fn placeholder_inside_literal_text() {
        let t = Template::parse("-Xmx{heap_mib}m").unwrap();
        assert_eq!(t.expand(&values()), "-Xmx192m");
        assert!(t.uses(Placeholder::HeapMib));
        assert!(!t.uses(Placeholder::Class));
    }

    #[test]
    fn doubled_braces_are_literal() {
        let t = Template::parse("{{x}}{class}").unwrap();
        assert_eq!(t.expand(&values()), "{x}Main");
        assert_eq!(
            t.placeholders().collect::<Vec<_>>(),
            vec![Placeholder::Class]
        );
    }

    #[test]
    fn unknown_placeholder_is_named() {
        assert_eq!(
            Template::parse("{sauce}"),
            Err(TemplateError::Unknown("sauce".into()))
        );
    }

    #[test]
    fn unbalanced_braces_are_errors() {
        assert_eq!(Template::parse("-D{dir"), Err(TemplateError::Unclosed));
        assert_eq!(Template::parse("a}b"), Err(TemplateError::StrayClose));
    }

    #[test]
    fn literal_detection() {
        assert_eq!(
            Template::parse("/usr/bin/gcc")
                .unwrap()
                .as_literal()
                .as_deref(),
            Some("/usr/bin/gcc")
        );
        assert_eq!(Template::parse("{exe}").unwrap().as_literal(), None);
        assert_eq!(
            Template::parse("{exe}").unwrap().leading_placeholder(),
            Some(Placeholder::Exe)
        );
        assert_eq!(
            Template::parse("x{exe}").unwrap().leading_placeholder(),
            None
        );
    }

    #[test]
    fn sources_is_one_argument_per_file() {
        let files = ["/work/a.c".to_owned(), "/work/lib/b.c".to_owned()];
        let values = Values {
            sources: &files,
            ..values()
        };
        let t = Template::parse("{sources}").unwrap();
        assert!(t.is_sources());
        assert_eq!(t.expand_args(&values), files.to_vec());
        let other = Template::parse("-I{dir}").unwrap();
        assert!(!other.is_sources());
        assert_eq!(other.expand_args(&values), vec!["-I/work".to_owned()]);
    }

    #[test]
    fn empty_template_expands_to_empty() {
        assert_eq!(Template::parse("").unwrap().expand(&values()), "");
    }
}
