using System;

namespace FdPasser.Systemd;

/// <summary>The rule systemd applies to descriptor names (LISTEN_FDNAMES, FDNAME=): 1 to 255 printable ASCII characters, no ':'.</summary>
internal static class DescriptorNames
{
    public const int MaxLength = 255;

    /// <summary>The name systemd gives a descriptor that was passed without one.</summary>
    public const string Unknown = "unknown";

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c < 0x21 || c > 0x7e || c == ':')
            {
                return false;
            }
        }
        return true;
    }

    public static void Validate(string name, string parameter)
    {
        ArgumentNullException.ThrowIfNull(name, parameter);
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a descriptor name: systemd takes 1 to {MaxLength} printable ASCII characters without spaces or ':'.", parameter);
        }
    }
}
