using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace FdPasser.Tests;

/// <summary>
/// Only <c>ReceivedDescriptors</c> and <c>DescriptorSlots</c> close a received descriptor number. Checked on the
/// source: every call of <c>close(</c>, <c>close_range(</c>, <c>closefrom(</c> or <c>CloseDescriptor(</c> (whatever
/// is before the dot: <c>TAbi.</c>, <c>_sys.</c>, <c>_transport.</c>) in the C# files of runtime/, aspnetcore/ and
/// cli/, outside comments and declarations, must be in one of those two files or in a file of the allow-list below,
/// which names each file that closes descriptors it opened itself (or is the close primitive the owners call), with
/// why and how many calls it has: a new close anywhere, even in a listed file, fails until it is owned or listed.
/// </summary>
public sealed class ReceivedCloseSitesTests
{
    private static readonly string[] Owners =
    [
        "runtime/Protocol/ReceivedDescriptors.cs",
        "runtime/Protocol/DescriptorSlots.cs",
    ];

    private static readonly Dictionary<string, (int Calls, string Why)> Allowed = new()
    {
        ["runtime/Transports/Bsd/BsdTransport.cs"] = (1, "CloseDescriptor's body: the close primitive the owners call"),
        ["runtime/Transports/Streams/StreamsTransportT.cs"] = (1, "CloseDescriptor's body for STREAMS: the close primitive the owners call"),
        ["runtime/Transports/Streams/NativeStreamsCalls.cs"] = (1, "the STREAMS seam's forwarder to libc close"),
        ["runtime/Transports/Streams/StreamsHandle.cs"] = (1, "ReleaseHandle of a pipe end this library opened"),
        ["runtime/Transports/Streams/StreamsTransportT.Endpoints.cs"] = (7, "pipe ends, endpoints and probe files it opened itself (pipe, open), on failure paths and after probing"),
        ["runtime/Target/PosixNativeT.Spawn.cs"] = (1, "the dup'ed copies it made itself for a child's descriptor table"),
        ["runtime/FdHandles.cs"] = (1, "public FdHandles.Close: the caller's own close of a number ReceiveRaw(Span<int>) handed over to it"),
    };

    private static readonly string[] Scanned = ["runtime", "aspnetcore", "cli"];

    // A call: the name, then "(" (a declaration such as "int close(int fd)" is told apart by the type before it).
    private static readonly Regex Call = new(@"\b(close|close_range|closefrom|CloseDescriptor)\s*\(", RegexOptions.Compiled);

    private static readonly Regex Declaration = new(@"\b(int|void|bool)\s*$", RegexOptions.Compiled);

    [Fact]
    public void Only_the_descriptor_owners_close_a_received_number()
    {
        string? root = Root();
        Assert.SkipWhen(root is null,
            $"no source tree above {AppContext.BaseDirectory} (a published copy of the tests, as under qemu): the scan runs where the sources are (FDPASSER_SCAN_ROOT names another tree)");
        Dictionary<string, List<string>> found = Scan(root!);
        Assert.True(found.Count > 0, "the scan found no close call at all: it is not looking where the sources are");

        var wrong = new List<string>();
        foreach (var (file, calls) in found)
        {
            if (Owners.Contains(file))
            {
                continue;
            }
            if (!Allowed.TryGetValue(file, out var allowed))
            {
                wrong.AddRange(calls.Select(c => $"{file}: {c}"));
            }
            else if (calls.Count != allowed.Calls)
            {
                wrong.Add($"{file}: {calls.Count} close call(s), the allow-list says {allowed.Calls} ({allowed.Why}):\n    " + string.Join("\n    ", calls));
            }
        }
        Assert.True(wrong.Count == 0,
            "Close calls outside ReceivedDescriptors/DescriptorSlots (a received number must be closed through its owner; " +
            "a descriptor the code opened itself goes into the allow-list with why):\n" + string.Join("\n", wrong));
        foreach (string owner in Owners)
        {
            Assert.True(found.ContainsKey(owner), $"{owner} closes nothing: the scan or the owner moved");
        }
    }

    /// <summary>file (relative, '/'-separated) → "line: text" of each close call in it.</summary>
    private static Dictionary<string, List<string>> Scan(string root)
    {
        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string top in Scanned)
        {
            string dir = Path.Combine(root, top);
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (string path in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (relative.Contains("/obj/") || relative.Contains("/bin/"))
                {
                    continue;
                }
                string[] lines = File.ReadAllLines(path);
                for (int i = 0; i < lines.Length; i++)
                {
                    string code = StripComment(lines[i]);
                    foreach (Match m in Call.Matches(code))
                    {
                        if (Declaration.IsMatch(code.Substring(0, m.Index)))
                        {
                            continue;
                        }
                        if (!found.TryGetValue(relative, out List<string>? calls))
                        {
                            found[relative] = calls = [];
                        }
                        calls.Add($"{i + 1}: {lines[i].Trim()}");
                    }
                }
            }
        }
        return found;
    }

    /// <summary>The line without a // comment or the text of a /// or /* line (string literals with "//" are not in these files' close lines).</summary>
    private static string StripComment(string line)
    {
        string trimmed = line.TrimStart();
        if (trimmed.StartsWith("//", StringComparison.Ordinal) || trimmed.StartsWith("*", StringComparison.Ordinal) || trimmed.StartsWith("/*", StringComparison.Ordinal))
        {
            return "";
        }
        int comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment < 0 ? line : line.Substring(0, comment);
    }

    private static string? Root()
    {
        if (Environment.GetEnvironmentVariable("FDPASSER_SCAN_ROOT") is { Length: > 0 } given)
        {
            return given;
        }
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "FdPasser.sln")) && Directory.Exists(Path.Combine(dir, "runtime")))
            {
                return dir;
            }
        }
        return null;
    }
}
