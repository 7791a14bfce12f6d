using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>What hold does with BARRIER=1, FDSTORE=1, FDSTOREREMOVE=1 and unasked descriptors, decided from the message alone.</summary>
public sealed class NotificationPlanTests
{
    [Fact]
    public void A_barrier_is_answered_and_nothing_else_in_it_is_acted_on()
    {
        NotificationPlan plan = NotificationPlan.For(barrier: true, otherFields: 2, descriptors: 1, fdStore: true, fdStoreRemove: true, fdName: "db");

        Assert.Equal(new NotificationPlan { Barrier = true, BarrierIgnoredFields = 2 }, plan);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void A_barrier_with_other_than_one_descriptor_is_answered_and_said_to_be_miscounted(int descriptors)
    {
        NotificationPlan plan = NotificationPlan.For(true, 0, descriptors, false, false, null);

        Assert.Equal(new NotificationPlan { Barrier = true, BarrierMiscounted = true }, plan);
    }

    [Fact]
    public void FDSTORE_stores_under_FDNAME_or_systemds_default_name()
    {
        Assert.Equal("db", NotificationPlan.For(false, 2, 1, true, false, "db").StoreAs);
        Assert.Equal(DescriptorStore.DefaultName, NotificationPlan.For(false, 1, 1, true, false, null).StoreAs);
        Assert.False(NotificationPlan.For(false, 1, 1, true, false, null).CloseUnstored);
    }

    [Fact]
    public void Descriptors_without_FDSTORE_are_closed_and_a_message_without_any_is_not_said_to_be()
    {
        Assert.Equal(new NotificationPlan { CloseUnstored = true }, NotificationPlan.For(false, 1, 2, false, false, null));
        Assert.Equal(new NotificationPlan(), NotificationPlan.For(false, 1, 0, false, false, null));
    }

    [Fact]
    public void FDSTOREREMOVE_removes_the_name_it_gives_and_nothing_without_one()
    {
        Assert.Equal(new NotificationPlan { RemoveName = "db" }, NotificationPlan.For(false, 2, 0, false, true, "db"));
        Assert.Equal(new NotificationPlan(), NotificationPlan.For(false, 1, 0, false, true, null));
    }
}
