using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace FdPasser.Processes;

/// <summary>
/// The argv and environment a child is spawned with. Where LISTEN_PID must be the child's own pid (descriptors
/// passed) or its open-files limit set, a shell step runs first in the child's process: it learns its pid (<c>$$</c>),
/// sets the limit (<c>ulimit -S -n</c>), and execs env(1) with <c>-i</c> and the exact environment as arguments, which
/// execs the program. The shell never sees the environment (it starts with none), so variables that are not shell
/// identifiers (<c>Logging:LogLevel:Default</c>, <c>my-var</c>) reach the program as given and nothing (PWD) is added.
/// </summary>
internal static class ChildCommandLine
{
    /// <summary>env(1): at this path on Linux (Debian, Alpine's busybox), macOS, FreeBSD and illumos.</summary>
    public const string Env = "/usr/bin/env";

    /// <summary>Refuses what execve would cut short: a null or NUL-containing argument or value, a variable name that is empty or holds '=' or NUL.</summary>
    public static void Validate(ChildProcessOptions options)
    {
        for (int i = 0; i < options.Arguments.Count; i++)
        {
            string? a = options.Arguments[i];
            if (a is null)
            {
                throw new ArgumentException($"Argument {i + 1} is null: execve takes argv as NUL-terminated strings and the ones after it would be lost.", nameof(options));
            }
            if (a.Contains('\0'))
            {
                throw new ArgumentException($"Argument {i + 1} contains a NUL character, which would end it there (execve takes NUL-terminated strings).", nameof(options));
            }
        }
        foreach (var (key, value) in options.Environment)
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
            {
                throw new ArgumentException($"The environment variable name '{key.Replace("\0", "\\0", StringComparison.Ordinal)}' cannot be passed: a name must be non-empty and hold no '=' or NUL (the program would see another name).", nameof(options));
            }
            if (value is not null && value.Contains('\0'))
            {
                throw new ArgumentException($"The value of the environment variable '{key}' contains a NUL character, which would end it there.", nameof(options));
            }
        }
    }

    /// <summary>argv and envp: the program straight, or behind the shell step (then <paramref name="spawned"/> is the shell).</summary>
    public static (string[] Argv, string[] Envp) Build(ChildProcessOptions options, string path, Dictionary<string, string?> env, bool setListenPid, out string spawned)
    {
        var envp = new List<string>(env.Count);
        foreach (var (key, value) in env)
        {
            if (value is not null)
            {
                envp.Add(key + "=" + value);
            }
        }
        long? limit = options.OpenFilesSoftLimit;
        if (!setListenPid && limit is null)
        {
            spawned = path;
            var plain = new List<string>(1 + options.Arguments.Count) { path };
            plain.AddRange(options.Arguments);
            return (plain.ToArray(), envp.ToArray());
        }
        if (path.Contains('='))
        {
            // env(1) takes every argument with '=' before the program for a variable.
            throw new ArgumentException($"'{path}' cannot be started behind the LISTEN_PID step: env(1) would read a path holding '=' as a variable.", nameof(options));
        }
        if (!File.Exists(Env) || !File.Exists(options.Shell))
        {
            throw new FileNotFoundException($"Starting a child with passed descriptors or an open-files limit needs {options.Shell} and {Env}; one is missing.");
        }
        // $0 names the program in the shell's own messages; "$@" is the environment, the program and its arguments.
        string script = (limit is null ? "" : "ulimit -S -n \"$1\" || exit 126; shift; ") +
            "exec " + Env + " -i" + (setListenPid ? " \"LISTEN_PID=$$\"" : "") + " \"$@\"";
        var argv = new List<string>(6 + envp.Count + options.Arguments.Count) { options.Shell, "-c", script, path };
        if (limit is long n)
        {
            argv.Add(n.ToString(CultureInfo.InvariantCulture));
        }
        argv.AddRange(envp);
        argv.Add(path);
        argv.AddRange(options.Arguments);
        spawned = options.Shell;
        return (argv.ToArray(), Array.Empty<string>());
    }
}
