using System;
using System.Globalization;
using System.IO;

namespace FdPasser.Cli.Hold;

/// <summary>A user of <c>--user</c>, from /etc/passwd (by name, or by uid).</summary>
internal sealed record UserAccount(string Name, uint Uid, uint Gid, string Home, string Shell)
{
    public static UserAccount Find(string nameOrUid, string passwdPath = "/etc/passwd")
    {
        bool byUid = uint.TryParse(nameOrUid, NumberStyles.None, CultureInfo.InvariantCulture, out uint wanted);
        foreach (string line in File.ReadLines(passwdPath))
        {
            // name:password:uid:gid:gecos:home:shell
            string[] f = line.Split(':');
            if (f.Length < 7 ||
                !uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid) ||
                !uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint gid))
            {
                continue;
            }
            if (byUid ? uid == wanted : f[0] == nameOrUid)
            {
                return new UserAccount(f[0], uid, gid, f[5], f[6].Length > 0 ? f[6] : "/bin/sh");
            }
        }
        throw new ArgumentException($"--user '{nameOrUid}': no such user in {passwdPath}");
    }
}
