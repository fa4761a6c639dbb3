/// Escaping for the markup formats and the terminal.
public enum Escape {
    /// Text for a terminal or a CI log: every control character but the line feed (escape
    /// sequences, bells, carriage returns, C1 controls, DEL) becomes a visible `\u001b`, so that
    /// a name taken from a file can neither recolour nor rewrite what the user sees.
    public static func terminal(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isTerminalControl) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isTerminalControl(u) {
                out.append(contentsOf: ("\\u{" + String(u.value, radix: 16, uppercase: true) + "}").unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    static func isTerminalControl(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 && u.value != 0x0A) || (0x7F...0x9F).contains(u.value)
    }

    /// Whether XML 1.0 allows the scalar in a document at all (`Char` production of the spec):
    /// tab, line feed, carriage return, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF.
    static func isXMLChar(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Text for XML element content, or (`attribute: true`) a double-quoted attribute value.
    ///
    /// `& < >` become entities, and in attributes `" '` too; characters XML 1.0 forbids (C0 controls other than tab, line
    /// feed and carriage return; U+FFFE, U+FFFF) become a visible `\u{1B}`. In attributes
    /// (`attribute: true`) tab, line feed and carriage return become character references, which
    /// attribute-value normalisation would otherwise turn into spaces.
    static func xml(_ s: String, attribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\t" where attribute: out += "&#9;"
            case "\n" where attribute: out += "&#10;"
            case "\r" where attribute: out += "&#13;"
            case "\r": out += "&#13;"
            default:
                if isXMLChar(u) { out.unicodeScalars.append(u) }
                else { out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}" }
            }
        }
        return out
    }

    /// Text for HTML: as XML, so the page is also well-formed XML; apostrophes as `&#39;`
    /// (`&apos;` is not an HTML 4 entity).
    static func html(_ s: String) -> String {
        xml(s, attribute: true).replacingOccurrences(of: "&apos;", with: "&#39;")
    }

    /// Text for a GitHub-flavoured Markdown table cell or paragraph: Markdown punctuation and
    /// `|` backslash-escaped, `<` and `&` as entities (no HTML), line breaks as spaces.
    static func markdown(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\", "`", "*", "_", "[", "]", "|", "#", "~", "!": out += "\\" + String(u)
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n", "\r", "\t": out += " "
            default:
                if u.value < 0x20 || u.value == 0x7F { out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}" }
                else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// A Markdown code span holding `s` verbatim: the fence is one backtick longer than any run
    /// of backticks in `s`; line breaks become spaces. In a table cell (`inTable`), `|` is
    /// escaped as GFM tables require (GitHub shows it as `|`, also inside the code span).
    static func markdownCode(_ s: String, inTable: Bool = true) -> String {
        var text = ""
        for u in s.unicodeScalars {
            switch u {
            case "|" where inTable: text += "\\|"
            case "\n", "\r", "\t": text += " "
            default:
                if u.value < 0x20 || u.value == 0x7F { text += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}" }
                else { text.unicodeScalars.append(u) }
            }
        }
        var longest = 0, run = 0
        for ch in text {
            run = ch == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") || text.isEmpty ? " " : ""
        return fence + pad + text + pad + fence
    }
}
