using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using FdPasser.Cli.Hold;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>Lineages read from the kernel's process table: which generation a notification's sender is below.</summary>
public sealed class ProcessLineageTests
{
    // The child renames itself "x) (y 1 z" (what proc(5)'s stat line shows in parentheses) and exits; its parent
    // reaps it only once its standard input closes.
    private const string ParentOfAZombie =
        "import os, sys\n" +
        "p = os.fork()\n" +
        "if p == 0:\n" +
        "    open('/proc/self/comm', 'w').write('x) (y 1 z')\n" +
        "    os._exit(0)\n" +
        "print(p, flush=True)\n" +
        "sys.stdin.read()\n" +
        "os.waitpid(p, 0)\n";

    [Fact]
    public void An_exited_unreaped_process_named_with_parentheses_has_its_parent_and_ours_as_ancestors_and_once_reaped_none()
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(ParentOfAZombie);
        using Process parent = TestProcesses.Start(start);
        int child = int.Parse(parent.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
        try
        {
            ProcessLineage zombie = ProcessLineage.Read(child);
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (zombie.Presence == ProcessPresence.Running && DateTime.UtcNow < deadline)
            {
                System.Threading.Thread.Sleep(20); // the child has not exited yet
                zombie = ProcessLineage.Read(child);
            }
            Assert.Equal(ProcessPresence.Exited, zombie.Presence);
            Assert.Equal(parent.Id, zombie.Ancestors[0]);
            Assert.Equal(Environment.ProcessId, zombie.Ancestors[1]);
            Assert.DoesNotContain(1, zombie.Ancestors);

            ProcessLineage self = ProcessLineage.Read(Environment.ProcessId);
            Assert.Equal(ProcessPresence.Running, self.Presence);
            Assert.Equal(zombie.Ancestors.Skip(2), self.Ancestors);
        }
        finally
        {
            parent.StandardInput.Close();
            parent.WaitForExit();
        }
        ProcessLineage gone = ProcessLineage.Read(child);
        Assert.Equal((ProcessPresence.Gone, 0), (gone.Presence, gone.Ancestors.Count));
    }
}
