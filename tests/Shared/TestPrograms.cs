using System;

namespace FdPasser.TestSupport;

/// <summary>
/// The programs the tests start as peers. Each can be replaced through an environment variable, so that a suite
/// published for another target (tests/cross/run.sh) starts peers built for that target, not for the build machine.
/// </summary>
internal static class TestPrograms
{
    /// <summary><c>FDPASSER_TEST_CC</c>: the C compiler for the C peers (aarch64-linux-gnu-gcc, say); gcc by default.</summary>
    public static string CCompiler => Override("FDPASSER_TEST_CC") ?? "gcc";

    /// <summary>The Debian package of <see cref="CCompiler"/>: gcc, or gcc-aarch64-linux-gnu for aarch64-linux-gnu-gcc.</summary>
    public static string CCompilerPackage =>
        CCompiler.EndsWith("-gcc", StringComparison.Ordinal) ? "gcc-" + CCompiler[..^"-gcc".Length] : CCompiler;

    /// <summary>
    /// <c>FDPASSER_TEST_PEER</c>: an executable FdPasser.TestPeer (a self-contained one for the target); by default
    /// <c>dotnet FdPasser.TestPeer.dll</c>.
    /// </summary>
    public static string? TestPeer => Override("FDPASSER_TEST_PEER");

    /// <summary>
    /// <c>FDPASSER_ACTIVATION_SAMPLE</c>: an executable samples/activation (a self-contained one for the target); by
    /// default <c>dotnet activation-sample.dll</c>. The copy of its apphost in a self-contained test publish cannot
    /// run it: without a deps.json of its own the host takes it for the dotnet command.
    /// </summary>
    public static string? ActivationSample => Override("FDPASSER_ACTIVATION_SAMPLE");

    /// <summary><c>FDPASSER_FDPASS</c>: the fdpass executable to test; by default the one built beside the tests.</summary>
    public static string? Fdpass => Override("FDPASSER_FDPASS");

    private static string? Override(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
