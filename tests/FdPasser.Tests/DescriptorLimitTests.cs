using FdPasser.Bsd;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Tests;

/// <summary>
/// The send and receive limits of a message's descriptors are separate facts: musl's sendmsg takes at most 252
/// (its 1,024-byte control buffer), while the kernel delivers up to 253, which a musl receiver must accept.
/// </summary>
public class DescriptorLimitTests
{
    [Fact]
    public void A_musl_receiver_accepts_the_kernels_limit_while_sending_at_most_what_musl_takes()
    {
        SocketTransport musl = BsdTransport<LinuxMuslX64.Abi>.Instance;
        Assert.Equal(252, musl.MaxDescriptorsPerMessage);
        Assert.Equal(253, musl.MaxDescriptorsReceived);
    }

    [Fact]
    public void Where_the_c_library_takes_what_the_kernel_delivers_both_limits_agree()
    {
        SocketTransport glibc = BsdTransport<LinuxX64.Abi>.Instance;
        Assert.Equal(253, glibc.MaxDescriptorsPerMessage);
        Assert.Equal(253, glibc.MaxDescriptorsReceived);
    }
}
