using System;
using System.Collections.Generic;

namespace FdPasser.Cli.CommandLine;

/// <summary>
/// Splits one command's arguments into options and positionals: <c>--name value</c>, <c>--name=value</c>,
/// switches, <c>--</c> to end options. Unknown options and missing values are usage errors.
/// </summary>
internal sealed class ArgumentReader
{
    private readonly string _command;
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = new();

    private ArgumentReader(string command)
    {
        _command = command;
    }

    public IReadOnlyList<string> Positionals => _positionals;

    public bool HelpRequested { get; private set; }

    /// <param name="command">The command's name, for messages (<c>serve</c>).</param>
    /// <param name="args">The arguments after the command's name.</param>
    /// <param name="valueOptions">Options that take a value (<c>--root</c>).</param>
    /// <param name="switchOptions">Options that take none (<c>--allow-write</c>).</param>
    /// <param name="firstPositionalEndsOptions">Everything from the first positional on is positional, as for a
    /// command to run with its own options (<c>hold … COMMAND --its-flag</c>).</param>
    public static ArgumentReader Parse(string command, ReadOnlySpan<string> args, string[] valueOptions, string[] switchOptions, bool firstPositionalEndsOptions = false)
    {
        var reader = new ArgumentReader(command);
        bool optionsEnded = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (optionsEnded || arg == "-" || !arg.StartsWith('-'))
            {
                reader._positionals.Add(arg);
                optionsEnded |= firstPositionalEndsOptions;
                continue;
            }
            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }
            if (arg is "-h" or "--help")
            {
                reader.HelpRequested = true;
                continue;
            }
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            string name = eq >= 0 ? arg.Substring(0, eq) : arg;
            if (Array.IndexOf(switchOptions, name) >= 0)
            {
                if (eq >= 0)
                {
                    throw reader.Usage($"option '{name}' takes no value");
                }
                reader._switches.Add(name);
            }
            else if (Array.IndexOf(valueOptions, name) >= 0)
            {
                string value;
                if (eq >= 0)
                {
                    value = arg.Substring(eq + 1);
                }
                else if (i + 1 < args.Length)
                {
                    value = args[++i];
                }
                else
                {
                    throw reader.Usage($"option '{name}' needs a value");
                }
                if (!reader._values.TryGetValue(name, out List<string>? list))
                {
                    reader._values[name] = list = new List<string>();
                }
                list.Add(value);
            }
            else
            {
                throw reader.Usage($"unknown option '{name}'");
            }
        }
        return reader;
    }

    public bool Has(string name) => _switches.Contains(name);

    public IReadOnlyList<string> All(string name) =>
        _values.TryGetValue(name, out List<string>? list) ? list : Array.Empty<string>();

    /// <summary>The option's value; the last one where it was given more than once.</summary>
    public string? Single(string name) =>
        _values.TryGetValue(name, out List<string>? list) ? list[^1] : null;

    /// <summary>Requires exactly the named positionals; returns them in order.</summary>
    public string[] Expect(params string[] names)
    {
        if (_positionals.Count < names.Length)
        {
            throw Usage($"missing {names[_positionals.Count]}");
        }
        if (_positionals.Count > names.Length)
        {
            throw Usage($"unexpected argument '{_positionals[names.Length]}'");
        }
        return _positionals.ToArray();
    }

    public UsageException Usage(string problem) =>
        new($"fdpass {_command}: {problem} (see 'fdpass {_command} --help')");
}
