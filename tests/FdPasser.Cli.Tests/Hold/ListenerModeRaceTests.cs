using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using FdPasser.Cli.Hold;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// A service user who may write a <c>unix:</c> listener's directory swaps a symbolic link to a root-only file in
/// for the socket file the moment it appears (CSwap/linker.c), again and again while listeners are bound there. The
/// file's mode must never change: the listener's mode is not set through a path somebody else can change.
/// </summary>
public sealed class ListenerModeRaceTests : IDisposable
{
    private const int RaceSeconds = 5;

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task A_symlink_swapped_in_for_the_socket_file_never_changes_the_mode_of_its_target()
    {
        string linker = Path.Combine(_tree.Path, "linker");
        RunResult gcc = Exec.Run("gcc", new[] { "-O1", "-Wall", "-Werror", "-o", linker, Path.Combine(AppContext.BaseDirectory, "CSwap", "linker.c") });
        Assert.True(gcc.ExitCode == 0, "gcc failed: " + gcc);
        string victim = Path.Combine(_tree.Path, "victim");
        File.WriteAllText(victim, "root only\n");
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string socketPath = Path.Combine(_tree.Path, "web.sock");
        ListenerSpec spec = ListenerSpec.Parse("web=unix:" + socketPath);

        var start = new ProcessStartInfo(linker) { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add(socketPath);
        start.ArgumentList.Add(victim);
        start.ArgumentList.Add(RaceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process swapper = TestProcesses.Start(start);
        Task<string> swaps = swapper.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        int bound = 0, refused = 0;
        UnixFileMode changed = 0;
        while (!swapper.HasExited)
        {
            try
            {
                using BoundListener listener = BoundListener.Bind(spec);
                bound++;
            }
            catch (IOException)
            {
                refused++; // the link was there first, or came between bind and listen: refused, which is right
            }
            UnixFileMode now = File.GetUnixFileMode(victim);
            if (now != (UnixFileMode.UserRead | UnixFileMode.UserWrite))
            {
                changed = now;
                break;
            }
        }
        swapper.WaitForExit();
        string swapped = (await swaps).Trim();

        Assert.True(changed == 0, $"the victim's mode became {Convert.ToString((int)changed, 8)} after {bound} binds ({swapped} swaps)");
        Assert.True(bound > 0, $"no listener was bound at all ({refused} refused): the race proves nothing");
        Assert.True(long.Parse(swapped, System.Globalization.CultureInfo.InvariantCulture) > 0, "the link was never swapped in: the race proves nothing");
    }
}
