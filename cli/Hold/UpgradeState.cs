using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace FdPasser.Cli.Hold;

/// <summary>A listener handed from one program of fdpass hold to the next: its descriptor and the socket file it made.</summary>
internal sealed record UpgradeListener(int Fd, string Name, string? CreatedPath);

/// <summary>A stored descriptor handed over, with the identity it was stored under (checked again on reading).</summary>
internal sealed record UpgradeStored(int Fd, string Name, ulong Device, ulong Inode, int FromPid);

/// <summary>
/// What <c>fdpass hold --upgrade</c> hands to the program it executes in its own process (same pid): the listeners,
/// the notification socket, the store and the generations, by descriptor number, in a small versioned text format
/// read from a memory file. Reading trusts nothing: every line, number and state is checked, and the caller
/// checks every descriptor against what the line says it is.
/// </summary>
/// <remarks>
/// Format, one record a line, fields separated by one space; text fields are "=" and the percent-encoded value, or
/// "-" for none:
/// <code>
/// fdpass-hold-state 1
/// pid PID
/// last-generation N
/// notify FD =ADDRESS
/// outer - READY(0|1)                  (the manager's address itself goes through NOTIFY_SOCKET)
/// listener FD NAME =CREATEDPATH|-
/// stored FD NAME DEVICE INODE FROMPID
/// generation NUMBER PID MAINPID STATE CHILDENDED MAINENDED KILLED SAIDSTOPPING KILLIN_MS|-1 STARTED_TICKS READY_TICKS|-1 =STATUS|-
/// end
/// </code>
/// </remarks>
internal sealed class UpgradeState
{
    public const string Header = "fdpass-hold-state 1";

    /// <summary>The environment variable that names the state's descriptor in the executed program.</summary>
    public const string Variable = "FDPASS_HOLD_STATE";

    /// <summary>More than any real state (16 listeners, 4096 stored descriptors, a few generations).</summary>
    public const int MaxBytes = 1 << 20;

    public int Pid { get; init; }

    public int LastGeneration { get; init; }

    public int NotifyFd { get; init; }

    public string NotifyAddress { get; init; } = "";

    /// <summary>fdpass hold's own manager had been told READY=1.</summary>
    public bool OuterReady { get; init; }

    public List<UpgradeListener> Listeners { get; } = new();

    public List<UpgradeStored> Stored { get; } = new();

    public List<GenerationSnapshot> Generations { get; } = new();

    /// <summary>The descriptor numbers the state names, each once.</summary>
    public IEnumerable<int> Descriptors()
    {
        yield return NotifyFd;
        foreach (UpgradeListener l in Listeners)
        {
            yield return l.Fd;
        }
        foreach (UpgradeStored s in Stored)
        {
            yield return s.Fd;
        }
    }

    public string Format(DateTime now)
    {
        var t = new StringBuilder();
        t.Append(Header).Append('\n');
        t.Append(CultureInfo.InvariantCulture, $"pid {Pid}\n");
        t.Append(CultureInfo.InvariantCulture, $"last-generation {LastGeneration}\n");
        t.Append(CultureInfo.InvariantCulture, $"notify {NotifyFd} {Text(NotifyAddress)}\n");
        t.Append(CultureInfo.InvariantCulture, $"outer - {(OuterReady ? 1 : 0)}\n");
        foreach (UpgradeListener l in Listeners)
        {
            t.Append(CultureInfo.InvariantCulture, $"listener {l.Fd} {l.Name} {Text(l.CreatedPath)}\n");
        }
        foreach (UpgradeStored s in Stored)
        {
            t.Append(CultureInfo.InvariantCulture, $"stored {s.Fd} {s.Name} {s.Device} {s.Inode} {s.FromPid}\n");
        }
        foreach (GenerationSnapshot g in Generations)
        {
            long killIn = g.KillAt is { } k ? (long)Math.Max(0, (k - now).TotalMilliseconds) : -1;
            t.Append(CultureInfo.InvariantCulture,
                $"generation {g.Number} {g.Pid} {g.MainPid} {(int)g.State} {Bit(g.ChildEnded)} {Bit(g.MainEnded)} {Bit(g.Killed)} {Bit(g.SaidStopping)} {killIn} {g.StartedAt.Ticks} {g.ReadyAt?.Ticks ?? -1} {Text(g.Status)}\n");
        }
        t.Append("end\n");
        return t.ToString();
    }

    /// <summary>Parses a state; <see cref="FormatException"/> says which line is wrong and why.</summary>
    public static UpgradeState Parse(string text, DateTime now)
    {
        string[] lines = text.Split('\n');
        if (lines.Length < 2 || lines[0] != Header)
        {
            throw new FormatException($"the state does not begin with '{Header}' (another version of fdpass hold wrote it, or it is not a state)");
        }
        int pid = 0, last = -1, notifyFd = -1;
        string? notifyAddress = null;
        bool outerReady = false, ended = false;
        var listeners = new List<UpgradeListener>();
        var stored = new List<UpgradeStored>();
        var generations = new List<GenerationSnapshot>();
        for (int n = 1; n < lines.Length && !ended; n++)
        {
            if (lines[n].Length == 0 && n == lines.Length - 1)
            {
                break; // what follows the last newline of a state cut short
            }
            string[] f = lines[n].Split(' ');
            try
            {
                switch (f[0])
                {
                    case "pid" when f.Length == 2:
                        pid = Int(f[1], 2);
                        break;
                    case "last-generation" when f.Length == 2:
                        last = Int(f[1], 0);
                        break;
                    case "notify" when f.Length == 3:
                        notifyFd = Fd(f[1]);
                        notifyAddress = Untext(f[2]) ?? throw new FormatException("no notification address");
                        break;
                    case "outer" when f.Length == 3:
                        outerReady = Flag(f[2]);
                        break;
                    case "listener" when f.Length == 4:
                        listeners.Add(new UpgradeListener(Fd(f[1]), Name(f[2]), Untext(f[3])));
                        break;
                    case "stored" when f.Length == 6:
                        stored.Add(new UpgradeStored(Fd(f[1]), Name(f[2]), ULong(f[3]), ULong(f[4]), Int(f[5], 0)));
                        break;
                    case "generation" when f.Length == 13:
                        generations.Add(ParseGeneration(f, now));
                        break;
                    case "end" when f.Length == 1:
                        ended = true;
                        break;
                    default:
                        throw new FormatException($"unknown record or wrong number of fields ({f.Length})");
                }
            }
            catch (FormatException e)
            {
                throw new FormatException($"state line {n + 1} ('{OneLine.Escape(lines[n].Length > 80 ? lines[n][..80] + "…" : lines[n])}'): {e.Message}", e);
            }
        }
        if (!ended)
        {
            throw new FormatException("the state has no 'end' line: it was cut short");
        }
        if (pid == 0 || last < 0 || notifyAddress is null)
        {
            throw new FormatException("the state lacks its pid, last-generation or notify line");
        }
        var state = new UpgradeState { Pid = pid, LastGeneration = last, NotifyFd = notifyFd, NotifyAddress = notifyAddress, OuterReady = outerReady };
        state.Listeners.AddRange(listeners);
        state.Stored.AddRange(stored);
        state.Generations.AddRange(generations);
        var fds = new HashSet<int>();
        foreach (int fd in state.Descriptors())
        {
            if (!fds.Add(fd))
            {
                throw new FormatException($"descriptor {fd} is named twice in the state");
            }
        }
        var numbers = new HashSet<int>();
        foreach (GenerationSnapshot g in generations)
        {
            if (!numbers.Add(g.Number) || g.Number > last)
            {
                throw new FormatException($"generation {g.Number} is named twice or after last-generation {last}");
            }
        }
        return state;
    }

    private static GenerationSnapshot ParseGeneration(string[] f, DateTime now)
    {
        int state = Int(f[4], 0);
        if (state > (int)GenerationState.Stopping)
        {
            throw new FormatException($"'{f[4]}' is not a generation state");
        }
        long killIn = Long(f[9]);
        long ready = Long(f[11]);
        var g = new GenerationSnapshot(Int(f[1], 1), Int(f[2], 2), new DateTime(Ticks(f[10]), DateTimeKind.Utc))
        {
            MainPid = Int(f[3], 2),
            State = (GenerationState)state,
            ChildEnded = Flag(f[5]),
            MainEnded = Flag(f[6]),
            Killed = Flag(f[7]),
            SaidStopping = Flag(f[8]),
            KillAt = killIn < 0 ? null : now + TimeSpan.FromMilliseconds(killIn),
            ReadyAt = ready < 0 ? null : new DateTime(Ticks(f[11]), DateTimeKind.Utc),
            Status = Untext(f[12]),
        };
        if (g.ChildEnded && g.MainEnded)
        {
            throw new FormatException("a generation that has ended is not handed over");
        }
        return g;
    }

    private static string Bit(bool b) => b ? "1" : "0";

    // Percent-encoding by hand, so the format does not depend on System.Uri's choice of reserved characters.
    private static string Text(string? value)
    {
        if (value is null)
        {
            return "-";
        }
        var t = new StringBuilder("=");
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b <= ' ' || b >= 0x7f || b == '%')
            {
                t.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                t.Append((char)b);
            }
        }
        return t.ToString();
    }

    private static string? Untext(string field)
    {
        if (field == "-")
        {
            return null;
        }
        if (!field.StartsWith('='))
        {
            throw new FormatException($"'{field}' is neither '-' nor '=' and a percent-encoded text");
        }
        var bytes = new List<byte>(field.Length);
        for (int i = 1; i < field.Length; i++)
        {
            char c = field[i];
            if (c == '%')
            {
                if (i + 2 >= field.Length ||
                    !byte.TryParse(field.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                {
                    throw new FormatException($"'{field}' has a '%' not followed by two hex digits");
                }
                bytes.Add(b);
                i += 2;
            }
            else if (c > ' ' && c < (char)0x7f)
            {
                bytes.Add((byte)c);
            }
            else
            {
                throw new FormatException($"'{field}' holds a character that is not percent-encoded");
            }
        }
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
    }

    private static bool Flag(string field) => field switch
    {
        "0" => false,
        "1" => true,
        _ => throw new FormatException($"'{field}' is not 0 or 1"),
    };

    private static int Int(string field, int min) =>
        int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min ? v
        : throw new FormatException($"'{field}' is not a number from {min}");

    private static int Fd(string field) => Int(field, 3);

    private static long Long(string field) =>
        long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= -1 ? v
        : throw new FormatException($"'{field}' is not a number from -1");

    private static long Ticks(string field) =>
        long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v <= DateTime.MaxValue.Ticks ? v
        : throw new FormatException($"'{field}' is not a time");

    private static ulong ULong(string field) =>
        ulong.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v
        : throw new FormatException($"'{field}' is not a number");

    private static string Name(string field) =>
        FdPasser.Systemd.DescriptorNames.IsValid(field) ? field : throw new FormatException($"'{field}' is not a descriptor name");
}
