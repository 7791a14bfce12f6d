using System;
using System.Globalization;
using System.IO;

namespace FdPasser.Processes;

/// <summary>
/// Whether a format registered with Linux's binfmt_misc (qemu-user for another machine's programs, Wine, Java…)
/// would run a file: each enabled entry in /proc/sys/fs/binfmt_misc matches a magic (under a mask, at an offset)
/// or a file name extension. See the kernel's Documentation/admin-guide/binfmt-misc.rst.
/// </summary>
internal static class BinfmtMisc
{
    public static bool Handles(string path, ReadOnlySpan<byte> head)
    {
        if (FdPasser.Platform.Target.Current.Constants.PROC_BINFMT_MISC is not { } root)
        {
            return false;
        }
        try
        {
            if (!File.Exists(root + "/status") || File.ReadAllText(root + "/status").Trim() != "enabled")
            {
                return false;
            }
            foreach (string entry in Directory.GetFiles(root))
            {
                string name = Path.GetFileName(entry);
                if (name is "status" or "register" || !Matches(File.ReadAllLines(entry), path, head))
                {
                    continue;
                }
                return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    private static bool Matches(string[] lines, string path, ReadOnlySpan<byte> head)
    {
        if (lines.Length == 0 || lines[0] != "enabled")
        {
            return false;
        }
        int offset = 0;
        byte[]? magic = null, mask = null;
        foreach (string line in lines)
        {
            if (line.StartsWith("extension .", StringComparison.Ordinal))
            {
                return path.EndsWith(line.Substring("extension ".Length), StringComparison.Ordinal);
            }
            if (line.StartsWith("offset ", StringComparison.Ordinal))
            {
                offset = int.Parse(line.AsSpan(7), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("magic ", StringComparison.Ordinal))
            {
                magic = Convert.FromHexString(line.AsSpan(6));
            }
            else if (line.StartsWith("mask ", StringComparison.Ordinal))
            {
                mask = Convert.FromHexString(line.AsSpan(5));
            }
        }
        if (magic is null || offset < 0 || offset + magic.Length > head.Length)
        {
            return false;
        }
        for (int i = 0; i < magic.Length; i++)
        {
            byte m = mask is not null && i < mask.Length ? mask[i] : (byte)0xff;
            if ((head[offset + i] & m) != (magic[i] & m))
            {
                return false;
            }
        }
        return true;
    }
}
