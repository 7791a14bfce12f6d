using System;
using System.Globalization;
using System.Text;

namespace FdPasser.Cli.Server;

/// <summary>
/// The classic open server request: <c>open &lt;path&gt; &lt;flags&gt;</c> (its NUL already cut off), flags the
/// numeric O_* flags in decimal. The path is everything between <c>open </c> and the last space, so it may
/// contain spaces.
/// </summary>
internal readonly record struct OpenRequest(string Path, int Flags)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses the request; on failure returns null and says why in <paramref name="problem"/>.</summary>
    public static OpenRequest? TryParse(ReadOnlySpan<byte> bytes, out string problem)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            problem = "the request is not valid UTF-8";
            return null;
        }
        if (!text.StartsWith("open ", StringComparison.Ordinal))
        {
            problem = $"unknown request '{Shorten(text)}': expected 'open <path> <flags>'";
            return null;
        }
        int lastSpace = text.LastIndexOf(' ');
        string path = lastSpace > 5 ? text.Substring(5, lastSpace - 5) : "";
        string flagsText = text.Substring(lastSpace + 1);
        if (path.Length == 0)
        {
            problem = "the request has no path: expected 'open <path> <flags>'";
            return null;
        }
        if (!int.TryParse(flagsText, NumberStyles.None, CultureInfo.InvariantCulture, out int flags))
        {
            problem = $"the flags '{Shorten(flagsText)}' are not a decimal number";
            return null;
        }
        problem = "";
        return new OpenRequest(path, flags);
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s.Substring(0, 60) + "…";
}
