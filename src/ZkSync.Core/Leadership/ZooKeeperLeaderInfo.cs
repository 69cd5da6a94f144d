namespace ZkSync.Leadership;

/// <summary>One participant of an election, as read from its znode.</summary>
/// <param name="ParticipantId">
/// The participant's id. For a Curator <c>LeaderLatch</c> participant, the id it was given (its node data).
/// </param>
/// <param name="IsLeader">True for the participant that leads (the first in line).</param>
/// <param name="NodePath">The participant's znode.</param>
/// <param name="Metadata">What the participant published (<c>host</c>, <c>startedAt</c>, <c>url</c>…); empty for Curator participants.</param>
public sealed record ZooKeeperLeaderInfo(string ParticipantId, bool IsLeader, string NodePath, IReadOnlyDictionary<string, string> Metadata);
