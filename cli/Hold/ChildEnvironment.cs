using System;
using System.Collections.Generic;
using System.IO;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The environment of a generation. With <c>--user</c> it is what systemd gives a service, not root's: PATH (systemd's
/// default), LANG where fdpass hold has one, HOME, USER, LOGNAME and SHELL of the user; NOTIFY_SOCKET and LISTEN_* are
/// added at the start. Then the variables of <c>--env-file</c> and <c>--env</c>, which may replace any of them.
/// </summary>
internal static class ChildEnvironment
{
    /// <summary>systemd's PATH for services (src/basic/path-util.h, DEFAULT_PATH with /sbin and /bin).</summary>
    public const string ServicePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static void Apply(IDictionary<string, string?> environment, HoldOptions options, UserAccount? user)
    {
        if (user is not null)
        {
            string? lang = environment.TryGetValue("LANG", out string? l) ? l : null;
            environment.Clear();
            environment["PATH"] = ServicePath;
            if (!string.IsNullOrEmpty(lang))
            {
                environment["LANG"] = lang;
            }
            environment["HOME"] = user.Home;
            environment["USER"] = user.Name;
            environment["LOGNAME"] = user.Name;
            environment["SHELL"] = user.Shell;
        }
        foreach (KeyValuePair<string, string> v in options.Environment)
        {
            environment[v.Key] = v.Value;
        }
    }

    /// <summary>One <c>--env NAME=VALUE</c>; the message of the exception says what is wrong.</summary>
    public static KeyValuePair<string, string> Parse(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        string name = eq < 0 ? text : text.Substring(0, eq);
        if (eq <= 0 || name.Contains('\0', StringComparison.Ordinal) || text.Contains('\0', StringComparison.Ordinal))
        {
            throw new FormatException($"'{OneLine.Escape(text)}' is not NAME=VALUE (NAME not empty, no '=' or NUL in it)");
        }
        return new KeyValuePair<string, string>(name, text.Substring(eq + 1));
    }

    /// <summary>
    /// An <c>--env-file</c>, read once when fdpass hold starts (not at every start of a generation, so a service
    /// user who may write it cannot change what root's setpriv runs with): NAME=VALUE lines, the value taken as it
    /// stands (no quotes or escapes removed); empty lines and lines starting with '#' or ';' are skipped.
    /// </summary>
    public static List<KeyValuePair<string, string>> ReadFile(string path)
    {
        var variables = new List<KeyValuePair<string, string>>();
        int number = 0;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            string line = raw.TrimStart();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            try
            {
                variables.Add(Parse(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"'{path}' line {number}: {e.Message}", e);
            }
        }
        return variables;
    }
}
