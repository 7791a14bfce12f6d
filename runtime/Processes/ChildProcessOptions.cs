using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using FdPasser.Systemd;

namespace FdPasser.Processes;

/// <summary>
/// What <see cref="ChildProcess.Start"/> runs and what it inherits: the program and arguments, the environment,
/// the descriptors passed in systemd's layout (<see cref="PassDescriptor"/>), and optionally its standard streams.
/// </summary>
public sealed class ChildProcessOptions
{
    private readonly List<(SafeHandle Handle, string Name)> _passed = new();
    private readonly List<(SafeHandle Handle, string Variable)> _extra = new();

    /// <summary>Options to run <paramref name="fileName"/> (a path, or a name looked up in PATH) with <paramref name="arguments"/>.</summary>
    public ChildProcessOptions(string fileName, params IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        FileName = fileName;
        Arguments = new List<string>(arguments);
        Environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            Environment[(string)e.Key] = (string?)e.Value;
        }
        // This process's own activation variables describe its descriptors, not the child's.
        Environment.Remove("LISTEN_PID");
        Environment.Remove("LISTEN_FDS");
        Environment.Remove("LISTEN_FDNAMES");
    }

    /// <summary>The program: a path, or a name looked up in the child's PATH.</summary>
    public string FileName { get; }

    /// <summary>The arguments after the program's name.</summary>
    public IList<string> Arguments { get; }

    /// <summary>
    /// The child's environment: a copy of this process's, without LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES (which
    /// <see cref="ChildProcess.Start"/> sets when descriptors are passed). A null value leaves a variable out.
    /// </summary>
    public IDictionary<string, string?> Environment { get; }

    /// <summary>The descriptors passed, in order: the first becomes descriptor 3 in the child.</summary>
    public IReadOnlyList<(SafeHandle Handle, string Name)> PassedDescriptors => _passed;

    /// <summary>
    /// Passes <paramref name="handle"/> as the next descriptor (3, 4, …) under <paramref name="name"/> in
    /// LISTEN_FDNAMES. The handle stays this process's; the child gets its own copy at start.
    /// </summary>
    public ChildProcessOptions PassDescriptor(SafeHandle handle, string name)
    {
        ArgumentNullException.ThrowIfNull(handle);
        DescriptorNames.Validate(name, nameof(name));
        _passed.Add((handle, name));
        return this;
    }

    /// <summary>The descriptors passed outside LISTEN_FDS, in order, after the last one of <see cref="PassedDescriptors"/>.</summary>
    public IReadOnlyList<(SafeHandle Handle, string Variable)> ExtraDescriptors => _extra;

    /// <summary>
    /// Passes <paramref name="handle"/> at the first descriptor number after the LISTEN_FDS range (3 + the number of
    /// <see cref="PassedDescriptors"/>, then on), outside LISTEN_FDS, and names that number in the environment
    /// variable <paramref name="variable"/>: a server that takes every LISTEN_FDS entry as a listener never sees it.
    /// </summary>
    public ChildProcessOptions PassExtraDescriptor(SafeHandle handle, string variable)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentException.ThrowIfNullOrEmpty(variable);
        if (variable.Contains('=') || variable.Contains('\0'))
        {
            throw new ArgumentException($"'{variable}' is not an environment variable name.", nameof(variable));
        }
        _extra.Add((handle, variable));
        return this;
    }

    /// <summary>The child's standard input; null inherits this process's.</summary>
    public SafeHandle? StandardInput { get; set; }

    /// <summary>The child's standard output; null inherits this process's.</summary>
    public SafeHandle? StandardOutput { get; set; }

    /// <summary>The child's standard error; null inherits this process's.</summary>
    public SafeHandle? StandardError { get; set; }

    /// <summary>Starts the child in a session (and process group) of its own, so a terminal's signals do not reach it.</summary>
    public bool NewSession { get; set; }

    /// <summary>
    /// The shell that sets LISTEN_PID to the child's own pid before the program runs (default <c>/bin/sh</c>). A
    /// spawned process cannot know its pid before exec; the shell runs in the child's process, learns its pid
    /// (<c>$$</c>) and execs <c>/usr/bin/env -i</c> with the exact environment as arguments, which execs the program
    /// (each exec keeps the pid). The shell gets no environment of its own.
    /// </summary>
    public string Shell { get; set; } = "/bin/sh";

    /// <summary>
    /// The child's soft limit of open files (RLIMIT_NOFILE), or null (the default) to inherit this process's. The .NET
    /// runtime raises its own soft limit to the hard limit at start, so a child would otherwise get the raised one.
    /// Set by the shell step (<c>ulimit -S -n</c>) before the program runs; it must be more than the highest passed
    /// descriptor and at most the hard limit.
    /// </summary>
    public long? OpenFilesSoftLimit { get; set; }

    /// <summary>
    /// Starts the child under SCHED_IDLE (Linux), set on its first thread right after spawn, while it is still the
    /// LISTEN_PID shell step where descriptors are passed (see <c>ProcessCalls.Spawn</c>). Internal: fdpass hold's
    /// <c>--start-priority idle</c>, which restores the policy of every thread once the child is ready.
    /// </summary>
    internal bool StartIdle { get; set; }
}
