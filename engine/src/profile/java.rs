//! Finding the class a Java submission runs as.
//!
//! Contestants name their class anything (`Main`, `Solution`, `A`), and javac insists a public
//! class live in a file of the same name, so the engine reads the class name from the source.
//! Steps: a small lexer drops comments, string, text-block and character literals and yields
//! identifiers and symbols; a scan over the tokens tracks brace nesting and which braces open a
//! class body; a `main` method found directly in a top-level class body, with the modifiers and
//! the single `String[]`/`String...` parameter the launcher needs, marks that class. A public
//! class wins over a package-private one. A `package` declaration qualifies the name
//! (`contest.Main`), as the launcher needs it; the source file keeps the simple name.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    Ident(&'a str),
    Sym(char),
    Ellipsis,
}

/// Splits Java source into identifiers and symbols, skipping everything that cannot declare
/// anything: whitespace, comments, literals.
pub(super) fn lex(src: &str) -> Vec<Tok<'_>> {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let at = |i: usize, s: &str| src[i..].starts_with(s);
    while i < bytes.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if at(i, "//") {
            i = src[i..].find('\n').map_or(src.len(), |n| i + n);
        } else if at(i, "/*") {
            i = src[i + 2..].find("*/").map_or(src.len(), |n| i + 2 + n + 2);
        } else if at(i, "\"\"\"") {
            i = skip_quoted(src, i + 3, "\"\"\"");
        } else if c == '"' {
            i = skip_quoted(src, i + 1, "\"");
        } else if c == '\'' {
            i = skip_quoted(src, i + 1, "'");
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let len = src[i..]
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
                .unwrap_or(src.len() - i);
            toks.push(Tok::Ident(&src[i..i + len]));
            i += len;
        } else if c.is_ascii_digit() {
            // Numbers (1_000L, 0x1F, 1.5e-3) never matter; `.` inside them is not a member access.
            let len = src[i..]
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '.'))
                .unwrap_or(src.len() - i);
            i += len;
        } else if at(i, "...") {
            toks.push(Tok::Ellipsis);
            i += 3;
        } else {
            toks.push(Tok::Sym(c));
            i += c.len_utf8();
        }
    }
    toks
}

/// Returns the index just past the closing `end` delimiter, honouring backslash escapes.
fn skip_quoted(src: &str, mut i: usize, end: &str) -> usize {
    while i < src.len() {
        if src[i..].starts_with('\\') {
            i += 1 + src[i + 1..].chars().next().map_or(0, char::len_utf8);
        } else if src[i..].starts_with(end) {
            return i + end.len();
        } else {
            i += src[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    src.len()
}

#[derive(Debug, Clone)]
struct ClassFrame<'a> {
    name: &'a str,
    public: bool,
    interface: bool,
    top_level: bool,
}

const TYPE_KEYWORDS: [&str; 4] = ["class", "interface", "enum", "record"];

/// The tokens of the declaration that ends at `end` (exclusive): back to the previous `;`,
/// `{` or `}`.
fn declaration_prefix<'t, 'a>(toks: &'t [Tok<'a>], end: usize) -> &'t [Tok<'a>] {
    let start = toks[..end]
        .iter()
        .rposition(|t| matches!(t, Tok::Sym(';' | '{' | '}')))
        .map_or(0, |p| p + 1);
    &toks[start..end]
}

/// Whether the parameter list starting at `open` (a `(`) is one `String[]`, `String...` or
/// `String name[]` parameter.
fn is_string_array_param(toks: &[Tok<'_>], open: usize) -> bool {
    let mut depth = 0usize;
    let mut params = Vec::new();
    for tok in &toks[open..] {
        match tok {
            Tok::Sym('(') => depth += 1,
            Tok::Sym(')') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            // A comma at depth 1 separates parameters; deeper ones sit in annotation arguments.
            Tok::Sym(',') if depth == 1 => return false,
            _ => {}
        }
        params.push(*tok);
    }
    let has_string = params.contains(&Tok::Ident("String"));
    let is_array = params.contains(&Tok::Sym('[')) || params.contains(&Tok::Ellipsis);
    has_string && is_array
}

/// Finds the class to run in a Java source: the top-level class that declares
/// `public static void main(String[] args)` (or `String... args`, `String args[]`), preferring a
/// public class when several declare one. `None` when no top-level class has such a method.
pub fn java_main_class(source: &str) -> Option<String> {
    let toks = lex(source);
    // One entry per open brace; `Some` when that brace opened a class body.
    let mut stack: Vec<Option<ClassFrame<'_>>> = Vec::new();
    let mut pending: Option<ClassFrame<'_>> = None;
    let mut found: Vec<ClassFrame<'_>> = Vec::new();

    for (i, tok) in toks.iter().enumerate() {
        match *tok {
            Tok::Sym('{') => stack.push(pending.take()),
            Tok::Sym('}') => {
                stack.pop();
            }
            Tok::Ident(kw) if TYPE_KEYWORDS.contains(&kw) => {
                // `Foo.class` is a literal, not a declaration.
                let after_dot = i > 0 && toks[i - 1] == Tok::Sym('.');
                if let (false, Some(Tok::Ident(name))) = (after_dot, toks.get(i + 1)) {
                    let prefix = declaration_prefix(&toks, i);
                    pending = Some(ClassFrame {
                        name,
                        public: prefix.contains(&Tok::Ident("public")),
                        interface: kw == "interface",
                        top_level: stack.is_empty(),
                    });
                }
            }
            Tok::Ident("main") if toks.get(i + 1) == Some(&Tok::Sym('(')) => {
                let Some(Some(class)) = stack.last() else {
                    continue;
                };
                let prefix = declaration_prefix(&toks, i);
                let returns_void = i > 0 && toks[i - 1] == Tok::Ident("void");
                let is_static = prefix.contains(&Tok::Ident("static"));
                // Interface members are implicitly public.
                let is_public = class.interface || prefix.contains(&Tok::Ident("public"));
                if class.top_level
                    && returns_void
                    && is_static
                    && is_public
                    && is_string_array_param(&toks, i + 1)
                {
                    found.push(class.clone());
                }
            }
            _ => {}
        }
    }
    let class = found.iter().find(|c| c.public).or(found.first())?;
    Some(match package_name(&toks) {
        Some(package) => format!("{package}.{}", class.name),
        None => class.name.to_string(),
    })
}

/// The `package a.b.c;` declaration's name, if the source has one: it comes before any
/// class body, and the launcher needs it in front of the class name.
pub(super) fn package_name(toks: &[Tok<'_>]) -> Option<String> {
    let start = toks
        .iter()
        .take_while(|t| **t != Tok::Sym('{'))
        .position(|t| *t == Tok::Ident("package"))?;
    let mut name = String::new();
    for tok in &toks[start + 1..] {
        match tok {
            Tok::Ident(part) => name.push_str(part),
            Tok::Sym('.') => name.push('.'),
            Tok::Sym(';') => break,
            _ => return None,
        }
    }
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_class(src: &str) -> Option<String> {
        java_main_class(src)
    }

    #[test]
    fn plain_main_class() {
        let src = "import java.util.*;\npublic class Main {\n  public static void main(String[] args) {}\n}\n";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn class_name_need_not_be_main() {
        let src = "public class Solution { public static void main(String[] a) { } }";
        assert_eq!(main_class(src).as_deref(), Some("Solution"));
    }

    #[test]
    fn varargs_and_c_style_array_parameters() {
        let varargs = "public class A { public static void main(String... args) {} }";
        let c_style = "public class B { public static void main(String args[]) {} }";
        let qualified =
            "public class C { public static void main(final java.lang.String[] args) {} }";
        assert_eq!(main_class(varargs).as_deref(), Some("A"));
        assert_eq!(main_class(c_style).as_deref(), Some("B"));
        assert_eq!(main_class(qualified).as_deref(), Some("C"));
    }

    #[test]
    fn final_and_abstract_modifiers() {
        let fin = "public final class F { public static void main(String[] a) {} }";
        let abs =
            "public abstract class G { public static void main(String[] a) {} abstract void f(); }";
        assert_eq!(main_class(fin).as_deref(), Some("F"));
        assert_eq!(main_class(abs).as_deref(), Some("G"));
    }

    #[test]
    fn generic_class_header() {
        let src = "public class Main<T extends Comparable<T>> implements Runnable {\n\
                   public void run() {}\n\
                   public static void main(String[] args) { new Main<Integer>().run(); } }";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn comments_and_strings_are_ignored() {
        let src = r#"
            // public class Fake { public static void main(String[] a) {} }
            /* public class Fake2 { public static void main(String[] a) {} } */
            public class Real {
                static String s = "public class Str { public static void main(String[] a) {} }";
                static char c = '{';
                static char q = '"';
                static String t = """
                    } public class Block { public static void main(String[] a) {} }
                    """;
                public static void main(String[] args) { System.out.println(s + "}" + c); }
            }"#;
        assert_eq!(main_class(src).as_deref(), Some("Real"));
    }

    #[test]
    fn escaped_quote_inside_string() {
        let src = r#"public class E { static String s = "a\"}{"; public static void main(String[] a) {} }"#;
        assert_eq!(main_class(src).as_deref(), Some("E"));
    }

    #[test]
    fn nested_class_with_main_is_not_the_entry_point() {
        let src = "public class Outer {\n\
                   static class Inner { public static void main(String[] a) {} }\n\
                   }";
        assert_eq!(main_class(src), None);
    }

    #[test]
    fn nested_classes_do_not_hide_the_outer_main() {
        let src = "public class Outer {\n\
                   static class Pair<A, B> { A a; B b; void main(int x) {} }\n\
                   enum Dir { N, S; }\n\
                   public static void main(String[] args) { Runnable r = new Runnable() { public void run() {} }; }\n\
                   }";
        assert_eq!(main_class(src).as_deref(), Some("Outer"));
    }

    #[test]
    fn public_class_preferred_over_helper_with_main() {
        let src = "class Helper { public static void main(String[] a) {} }\n\
                   public class Main { public static void main(String[] a) {} }";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn package_private_class_is_accepted_alone() {
        let src = "class Main { public static void main(String[] args) {} }";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn wrong_signatures_are_rejected() {
        for src in [
            "public class A { public void main(String[] a) {} }",
            "public class A { static void main(String[] a) {} }",
            "public class A { public static int main(String[] a) { return 0; } }",
            "public class A { public static void main(String a) {} }",
            "public class A { public static void main(String[] a, int b) {} }",
            "public class A { public static void mainly(String[] a) {} }",
        ] {
            assert_eq!(main_class(src), None, "{src}");
        }
    }

    #[test]
    fn main_call_inside_a_method_is_not_a_declaration() {
        let src = "public class A { void f() { main(new String[0]); } }";
        assert_eq!(main_class(src), None);
    }

    #[test]
    fn class_literal_is_not_a_declaration() {
        let src = "public class Main { static Object k = Main.class;\n\
                   public static void main(String[] a) {} }";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn interface_main_is_implicitly_public() {
        let src = "public interface Main { static void main(String[] a) {} }";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn annotations_on_main_and_parameter() {
        let src = "public class Main {\n\
                   @SuppressWarnings({\"unchecked\", \"rawtypes\"})\n\
                   public static void main(@Deprecated(since = \"1\", forRemoval = false) String[] args) throws Exception {}\n\
                   }";
        assert_eq!(main_class(src).as_deref(), Some("Main"));
    }

    #[test]
    fn record_and_enum_with_main() {
        let rec = "public record P(int x) { public static void main(String[] a) {} }";
        let en = "public enum E { A, B; public static void main(String[] a) {} }";
        assert_eq!(main_class(rec).as_deref(), Some("P"));
        assert_eq!(main_class(en).as_deref(), Some("E"));
    }

    #[test]
    fn no_class_at_all() {
        assert_eq!(main_class(""), None);
        assert_eq!(main_class("int main() { return 0; }"), None);
    }

    #[test]
    fn unterminated_comment_does_not_panic() {
        assert_eq!(main_class("public class A { /* never closed"), None);
        assert_eq!(main_class("public class A { String s = \"open"), None);
    }

    #[test]
    fn a_package_declaration_qualifies_the_class() {
        let src = "// header\npackage contest.solutions;\n\nimport java.util.*;\n\
                   public class Main { public static void main(String[] a) {} }\n";
        assert_eq!(main_class(src).as_deref(), Some("contest.solutions.Main"));
        // A word "package" inside a class body or a comment is no declaration.
        let src = "/* package x; */ class A { int package_count; public static void main(String... a) {} }";
        assert_eq!(main_class(src).as_deref(), Some("A"));
    }
}
