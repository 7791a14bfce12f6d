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
    /// start a line of its own in a log or send escape sequences to a terminal.
    /// </summary>
    public static string Escape(string text)
    {
        int i = 0;
        while (i < text.Length && !IsControl(text[i]))
        {
            i++;
        }
        if (i == text.Length)
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!IsControl(c))
            {
                escaped.Append(c);
                continue;
            }
            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        return escaped.ToString();
    }

    private static bool IsControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
