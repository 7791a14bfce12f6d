namespace FdPasser.Cli.Hold;

/// <summary>
/// The rule systemd applies to <c>FDNAME=</c> and to the names in <c>LISTEN_FDNAMES</c> (sd_notify(3),
/// fdname_is_valid): printable ASCII without ':', at most 255 characters. ':' separates names in LISTEN_FDNAMES.
/// </summary>
internal static class FdName
{
    public const string Rule = "1 to 255 printable ASCII characters, no ':'";

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > 255)
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c < ' ' || c > '~' || c == ':')
            {
                return false;
            }
        }
        return true;
    }
}
