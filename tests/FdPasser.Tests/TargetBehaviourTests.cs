using FdPasser.Bsd;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Tests;

/// <summary>Per-target behaviour reaches the transport from the ABI files' header lines, not from an OS check.</summary>
public sealed class TargetBehaviourTests
{
    [Fact]
    public void Abstract_names_follow_each_file_s_abstract_names_line()
    {
        Assert.True(BsdTransport<LinuxX64.Abi>.Instance.SupportsAbstractNames);
        Assert.True(BsdTransport<LinuxMuslX64.Abi>.Instance.SupportsAbstractNames);
        Assert.True(BsdTransport<LinuxArm64.Abi>.Instance.SupportsAbstractNames);
        Assert.True(BsdTransport<LinuxArm.Abi>.Instance.SupportsAbstractNames);
        Assert.False(BsdTransport<OsxX64.Abi>.Instance.SupportsAbstractNames);
        Assert.False(BsdTransport<OsxArm64.Abi>.Instance.SupportsAbstractNames);
        Assert.False(BsdTransport<FreebsdX64.Abi>.Instance.SupportsAbstractNames);
        Assert.False(BsdTransport<IllumosX64.Abi>.Instance.SupportsAbstractNames);
    }

    [Fact]
    public void Only_Linux_files_trust_cmsg_len_after_MSG_CTRUNC()
    {
        Assert.True(LinuxX64.Abi.CmsgLenTrustedAfterCtrunc);
        Assert.True(LinuxMuslX64.Abi.CmsgLenTrustedAfterCtrunc);
        Assert.False(OsxX64.Abi.CmsgLenTrustedAfterCtrunc);
        Assert.False(OsxArm64.Abi.CmsgLenTrustedAfterCtrunc);
        Assert.False(FreebsdX64.Abi.CmsgLenTrustedAfterCtrunc);
        Assert.False(IllumosX64.Abi.CmsgLenTrustedAfterCtrunc);
    }

    [Fact]
    public void This_process_s_target_is_a_row_of_the_generated_table()
    {
        PlatformChoice choice = Target.Current.Choice;
        Assert.Contains(AbiTargets.All, t => t.Rid == choice.SocketRid && t.Os == AbiTargets.CurrentOs());
        Assert.True(AbiTargets.RunsOnDescribedOs);
        Assert.Equal(choice.SocketRid, Target.Current.Constants.Rid);
    }
}
