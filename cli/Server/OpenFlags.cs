using System;
using System.Collections.Generic;
using System.Globalization;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Cli.Server;

/// <summary>Names for this system's O_* flags: to log a request's flags and to read <c>--flags O_WRONLY|O_CREAT</c>.</summary>
internal static class OpenFlags
{
    private static (string Name, int Value)[] Named(PlatformConstants abi) => new[]
    {
        ("O_CREAT", abi.O_CREAT),
        ("O_EXCL", abi.O_EXCL),
        ("O_TRUNC", abi.O_TRUNC),
        ("O_APPEND", abi.O_APPEND),
        ("O_NONBLOCK", abi.O_NONBLOCK),
        ("O_DIRECTORY", abi.O_DIRECTORY),
        ("O_NOFOLLOW", abi.O_NOFOLLOW),
        ("O_CLOEXEC", abi.O_CLOEXEC),
    };

    /// <summary>The flags the server understands; any other bit is refused.</summary>
    public static int Known(PlatformConstants abi)
    {
        int known = abi.O_ACCMODE;
        foreach (var (_, value) in Named(abi))
        {
            known |= value;
        }
        return known;
    }

    /// <summary>E.g. <c>O_WRONLY|O_CREAT|O_TRUNC</c>; unknown bits as hex.</summary>
    public static string Describe(int flags, PlatformConstants abi)
    {
        int mode = flags & abi.O_ACCMODE;
        var parts = new List<string>
        {
            mode == abi.O_RDONLY ? "O_RDONLY" : mode == abi.O_WRONLY ? "O_WRONLY" : mode == abi.O_RDWR ? "O_RDWR" : $"access mode {mode}",
        };
        int rest = flags & ~abi.O_ACCMODE;
        foreach (var (name, value) in Named(abi))
        {
            if (value != 0 && (rest & value) == value)
            {
                parts.Add(name);
                rest &= ~value;
            }
        }
        if (rest != 0)
        {
            parts.Add("0x" + rest.ToString("x", CultureInfo.InvariantCulture));
        }
        return string.Join('|', parts);
    }

    /// <summary>Reads a number (decimal or 0x hex) or names joined by '|' or ','; null where it is neither.</summary>
    public static int? Parse(string text, PlatformConstants abi)
    {
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return number;
        }
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }
        int flags = 0;
        foreach (string raw in text.Split('|', ','))
        {
            string name = raw.Trim().ToUpperInvariant();
            if (!name.StartsWith("O_", StringComparison.Ordinal))
            {
                name = "O_" + name;
            }
            int? value = name switch
            {
                "O_RDONLY" => abi.O_RDONLY,
                "O_WRONLY" => abi.O_WRONLY,
                "O_RDWR" => abi.O_RDWR,
                _ => Lookup(name, abi),
            };
            if (value is null)
            {
                return null;
            }
            flags |= value.Value;
        }
        return flags;
    }

    private static int? Lookup(string name, PlatformConstants abi)
    {
        foreach (var (n, value) in Named(abi))
        {
            if (n == name && value != 0)
            {
                return value;
            }
        }
        return null;
    }
}
