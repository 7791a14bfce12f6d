using System;
using System.IO;
using System.Threading.Tasks;
using FdPasser.Tests.Support;

namespace FdPasser.Tests.Systemd;

public class ActivationSampleTests
{
    [Fact]
    public async Task The_sample_manager_hands_its_listener_and_the_stored_state_to_each_generation()
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "activation-sample.dll");
        var (exit, stdout, stderr) = await Peers.FinishAsync(Peers.Start("dotnet", sample));
        Assert.True(exit == 0, stderr);
        Assert.Contains("FDSTORE=1 FDNAME=state FDPOLL=0 from pid", stdout);
        Assert.Contains("manager: asked, got 'generation 1 from pid", stdout);
        // Generation 2 counted on from the memory file generation 1 stored with the manager.
        Assert.Contains("manager: asked, got 'generation 2 from pid", stdout);
        Assert.Contains("manager: generation 2 exited with code 0", stdout);
    }
}
