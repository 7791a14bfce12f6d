using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace FdPasser.Cli;

/// <summary>Makes an exception's message one line, for error output and logs.</summary>
internal static class OneLine
{
    public static string Of(Exception e)
    {
        string message = e.Message.ReplaceLineEndings(" ").Trim();
        return e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or TimeoutException or PlatformNotSupportedException
            ? message
            : $"{message} ({e.GetType().Name})";
    }

    /// <summary>
    /// Writes control characters (C0, DEL, C1, and the Unicode line and paragraph separators) as <c>\n</c>,
    /// <c>\r</c>, <c>\t</c> or <c>\uXXXX</c>, so that text from a peer (a request path, a server's message) cannot
    /// start a line of its own in a log or send escape sequences to a terminal; and every format character
    /// (Unicode category Cf: bidi overrides and isolates, zero-width characters, the BOM, tag characters) as
    /// <c>\uXXXX</c> or <c>\UXXXXXXXX</c>, so that none can make a line read differently from what it holds.
    /// </summary>
    public static string Escape(string text)
    {
        int i = 0;
        while (i < text.Length && !MustEscape(text, i, out _, out _))
        {
            i++;
        }
        if (i == text.Length)
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, i);
        while (i < text.Length)
        {
            if (!MustEscape(text, i, out int value, out int length))
            {
                escaped.Append(text, i, length);
                i += length;
                continue;
            }
            escaped.Append(value switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                > 0xFFFF => "\\U" + value.ToString("x8", CultureInfo.InvariantCulture),
                _ => "\\u" + value.ToString("x4", CultureInfo.InvariantCulture),
            });
            i += length;
        }
        return escaped.ToString();
    }

    /// <summary>
    /// Whether the character at <paramref name="index"/> (a surrogate pair counts as one) is escaped; its scalar value
    /// (a lone surrogate's own code) and its length in chars.
    /// </summary>
    private static bool MustEscape(string text, int index, out int value, out int length)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(index), out Rune rune, out length) != System.Buffers.OperationStatus.Done)
        {
            value = text[index];
            length = 1;
            return true; // a lone surrogate: no terminal shows it as what it is
        }
        value = rune.Value;
        return Rune.IsControl(rune) || value is 0x2028 or 0x2029 || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format;
    }
}
