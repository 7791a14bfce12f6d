using System;

namespace FdPasser.Cli.Hold;

/// <summary>
/// How a reload ended, as <see cref="HoldMachine"/> decided it: the new generation became ready (<see cref="Ready"/>),
/// or it was rolled back, could not be started, or fdpass hold stopped first. <see cref="Text"/> says which, in one line.
/// </summary>
internal sealed record ReloadOutcome(int? Generation, int? Pid, bool Ready, string Text, DateTime At);
