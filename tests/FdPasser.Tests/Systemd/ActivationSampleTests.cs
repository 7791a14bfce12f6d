using System;
using System.IO;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;

namespace FdPasser.Tests.Systemd;

public class ActivationSampleTests
{
    [Fact]
    public async Task The_sample_manager_hands_its_listener_and_the_stored_state_to_each_generation()
    {
        // The sample starts its generations as itself (Environment.ProcessPath): run under dotnet, or as the target's
        // own executable where the suite runs on another target (tests/cross/run.sh).
        var (exit, stdout, stderr) = await Peers.FinishAsync(TestPrograms.ActivationSample is { } sample
            ? Peers.Start(sample)
            : Peers.Start("dotnet", Path.Combine(AppContext.BaseDirectory, "activation-sample.dll")));
        Assert.True(exit == 0, stderr);
        Assert.Contains("FDSTORE=1 FDNAME=state FDPOLL=0 from pid", stdout);
        Assert.Contains("manager: asked, got 'generation 1 from pid", stdout);
        // Generation 2 counted on from the memory file generation 1 stored with the manager.
        Assert.Contains("manager: asked, got 'generation 2 from pid", stdout);
        Assert.Contains("manager: generation 2 exited with code 0", stdout);
    }
}
