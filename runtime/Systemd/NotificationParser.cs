using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace FdPasser.Systemd;

/// <summary>
/// Reads the bytes of one notification datagram into its fields, with no I/O. Lines are <c>KEY=VALUE</c>
/// separated by '\n' (empty lines are skipped, as systemd does); the keys this library interprets must carry
/// well-formed values. Anything else is reported by <see cref="TryParse"/> with the reason.
/// </summary>
internal static class NotificationParser
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryParse(ReadOnlySpan<byte> datagram, out List<KeyValuePair<string, string>> fields, out string? error)
    {
        fields = new List<KeyValuePair<string, string>>();
        error = null;
        if (datagram.IsEmpty)
        {
            error = "the datagram is empty";
            return false;
        }
        int nul = datagram.IndexOf((byte)0);
        if (nul >= 0)
        {
            error = $"it contains a NUL byte at offset {nul}";
            return false;
        }
        string text;
        try
        {
            text = Strict.GetString(datagram);
        }
        catch (DecoderFallbackException e)
        {
            error = $"it is not UTF-8 (at byte {e.Index})";
            return false;
        }
        int lineNumber = 0;
        foreach (string line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0)
            {
                error = $"line {lineNumber} ('{Printable(line)}') is not KEY=VALUE";
                return false;
            }
            string key = line.Substring(0, eq);
            if (!IsKey(key))
            {
                error = $"line {lineNumber} has the key '{Printable(key)}': keys are letters, digits and '_'";
                return false;
            }
            string value = line.Substring(eq + 1);
            if (CheckValue(key, value) is { } problem)
            {
                error = $"line {lineNumber}: {key}={Printable(value)} {problem}";
                return false;
            }
            fields.Add(new KeyValuePair<string, string>(key, value));
        }
        if (fields.Count == 0)
        {
            error = "it holds no KEY=VALUE line";
            return false;
        }
        return true;
    }

    private static bool IsKey(string key)
    {
        foreach (char c in key)
        {
            if (!(c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }
        return true;
    }

    private static string? CheckValue(string key, string value) => key switch
    {
        "READY" or "RELOADING" or "STOPPING" or "BARRIER" or "FDSTORE" or "FDSTOREREMOVE" or "WATCHDOG" when value != "1" && !(key == "WATCHDOG" && value == "trigger") =>
            "is not a flag (expected 1)",
        "FDPOLL" when value is not ("0" or "1") => "is not 0 or 1",
        "MAINPID" when !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0 => "is not a process id",
        "MONOTONIC_USEC" or "WATCHDOG_USEC" or "EXTEND_TIMEOUT_USEC" when !ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) =>
            "is not a count of microseconds",
        "ERRNO" or "EXIT_STATUS" when !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) => "is not a number",
        "FDNAME" when !DescriptorNames.IsValid(value) => "is not a descriptor name (1 to 255 printable ASCII characters, no ':')",
        _ => null,
    };

    /// <summary>A value as it may appear in an error message: control characters escaped, at most 64 characters.</summary>
    internal static string Printable(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, 64));
        foreach (char c in text)
        {
            if (sb.Length >= 64)
            {
                sb.Append('…');
                break;
            }
            if (char.IsControl(c))
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
