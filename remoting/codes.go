package remoting

// Request and response codes of the remoting protocol. Names follow upstream
// RocketMQ (RequestCode / ResponseCode) in Go style; the upstream name is given
// in each comment. All codes are int32: the 5.x POP codes exceed 16 bits and can
// therefore travel only in JSON headers.

// CurrentVersion is the protocol version Saturn puts in every response: the
// ordinal of RocketMQ 4.9.7 in upstream's MQVersion enum. Clients treat the
// version of a broker's heartbeat answer as the broker's version.
const CurrentVersion int32 = 407

// Request codes.
//
// Some newer upstream revisions define the POP family as the 16-bit truncations
// of these values (3442 for POP_MESSAGE, ...), so that they fit binary headers;
// a server that wants to accept both can register both.
const (
	// RequestSendMessage (SEND_MESSAGE): send a message (long-name header).
	RequestSendMessage int32 = 10
	// RequestPullMessage (PULL_MESSAGE): pull messages of one queue.
	RequestPullMessage int32 = 11
	// RequestQueryMessage (QUERY_MESSAGE): query messages by key through the index.
	RequestQueryMessage int32 = 12
	// RequestQueryBrokerOffset (QUERY_BROKER_OFFSET): defined upstream, no handler anywhere.
	RequestQueryBrokerOffset int32 = 13
	// RequestQueryConsumerOffset (QUERY_CONSUMER_OFFSET): read a group's committed offset of a queue.
	RequestQueryConsumerOffset int32 = 14
	// RequestUpdateConsumerOffset (UPDATE_CONSUMER_OFFSET): commit a group's offset of a queue.
	RequestUpdateConsumerOffset int32 = 15
	// RequestUpdateAndCreateTopic (UPDATE_AND_CREATE_TOPIC): create or update a topic on a broker.
	RequestUpdateAndCreateTopic int32 = 17
	// RequestUpdateAndCreateTopicList (UPDATE_AND_CREATE_TOPIC_LIST): create or update several topics (since 5.3.0).
	RequestUpdateAndCreateTopicList int32 = 18
	// RequestGetAllTopicConfig (GET_ALL_TOPIC_CONFIG): fetch all topic configs of a broker (also slave sync).
	RequestGetAllTopicConfig int32 = 21
	// RequestGetTopicConfigList (GET_TOPIC_CONFIG_LIST): defined upstream, no handler anywhere.
	RequestGetTopicConfigList int32 = 22
	// RequestGetTopicNameList (GET_TOPIC_NAME_LIST): defined upstream, no handler anywhere.
	RequestGetTopicNameList int32 = 23
	// RequestUpdateBrokerConfig (UPDATE_BROKER_CONFIG): update broker properties.
	RequestUpdateBrokerConfig int32 = 25
	// RequestGetBrokerConfig (GET_BROKER_CONFIG): read broker properties.
	RequestGetBrokerConfig int32 = 26
	// RequestTriggerDeleteFiles (TRIGGER_DELETE_FILES): defined upstream, no handler anywhere.
	RequestTriggerDeleteFiles int32 = 27
	// RequestGetBrokerRuntimeInfo (GET_BROKER_RUNTIME_INFO): read broker runtime statistics.
	RequestGetBrokerRuntimeInfo int32 = 28
	// RequestSearchOffsetByTimestamp (SEARCH_OFFSET_BY_TIMESTAMP): find a queue offset by store time.
	RequestSearchOffsetByTimestamp int32 = 29
	// RequestGetMaxOffset (GET_MAX_OFFSET): read the max offset of a queue.
	RequestGetMaxOffset int32 = 30
	// RequestGetMinOffset (GET_MIN_OFFSET): read the min offset of a queue.
	RequestGetMinOffset int32 = 31
	// RequestGetEarliestMsgStoreTime (GET_EARLIEST_MSG_STORETIME): read the store time of a queue's first message.
	RequestGetEarliestMsgStoreTime int32 = 32
	// RequestViewMessageByID (VIEW_MESSAGE_BY_ID): read one message by commit-log offset.
	RequestViewMessageByID int32 = 33
	// RequestHeartBeat (HEART_BEAT): client heartbeat with its producer and consumer data.
	RequestHeartBeat int32 = 34
	// RequestUnregisterClient (UNREGISTER_CLIENT): client leaves a broker.
	RequestUnregisterClient int32 = 35
	// RequestConsumerSendMsgBack (CONSUMER_SEND_MSG_BACK): re-deliver a failed message through retry or DLQ.
	RequestConsumerSendMsgBack int32 = 36
	// RequestEndTransaction (END_TRANSACTION): commit or roll back a half message.
	RequestEndTransaction int32 = 37
	// RequestGetConsumerListByGroup (GET_CONSUMER_LIST_BY_GROUP): list client ids of a consumer group.
	RequestGetConsumerListByGroup int32 = 38
	// RequestCheckTransactionState (CHECK_TRANSACTION_STATE): broker asks a producer for a transaction's state.
	RequestCheckTransactionState int32 = 39
	// RequestNotifyConsumerIDsChanged (NOTIFY_CONSUMER_IDS_CHANGED): broker tells consumers to rebalance.
	RequestNotifyConsumerIDsChanged int32 = 40
	// RequestLockBatchMQ (LOCK_BATCH_MQ): lock queues for orderly consumption.
	RequestLockBatchMQ int32 = 41
	// RequestUnlockBatchMQ (UNLOCK_BATCH_MQ): unlock queues of orderly consumption.
	RequestUnlockBatchMQ int32 = 42
	// RequestGetAllConsumerOffset (GET_ALL_CONSUMER_OFFSET): fetch all consumer offsets (slave sync).
	RequestGetAllConsumerOffset int32 = 43
	// RequestGetAllDelayOffset (GET_ALL_DELAY_OFFSET): fetch delay-level offsets (slave sync).
	RequestGetAllDelayOffset int32 = 45
	// RequestCheckClientConfig (CHECK_CLIENT_CONFIG): check a consumer's subscription (SQL92 filters).
	RequestCheckClientConfig int32 = 46
	// RequestGetClientConfig (GET_CLIENT_CONFIG): defined upstream, no handler anywhere.
	RequestGetClientConfig int32 = 47
	// RequestUpdateAndCreateACLConfig (UPDATE_AND_CREATE_ACL_CONFIG): ACL 1.0: create or update an account.
	RequestUpdateAndCreateACLConfig int32 = 50
	// RequestDeleteACLConfig (DELETE_ACL_CONFIG): ACL 1.0: delete an account.
	RequestDeleteACLConfig int32 = 51
	// RequestGetBrokerClusterACLInfo (GET_BROKER_CLUSTER_ACL_INFO): ACL 1.0: read ACL version info.
	RequestGetBrokerClusterACLInfo int32 = 52
	// RequestUpdateGlobalWhiteAddrsConfig (UPDATE_GLOBAL_WHITE_ADDRS_CONFIG): ACL 1.0: update the global white list.
	RequestUpdateGlobalWhiteAddrsConfig int32 = 53
	// RequestGetBrokerClusterACLConfig (GET_BROKER_CLUSTER_ACL_CONFIG): ACL 1.0: read the ACL config (deprecated upstream).
	RequestGetBrokerClusterACLConfig int32 = 54
	// RequestGetTimerCheckPoint (GET_TIMER_CHECK_POINT): fetch the timer checkpoint (5.x slave sync).
	RequestGetTimerCheckPoint int32 = 60
	// RequestGetTimerMetrics (GET_TIMER_METRICS): fetch timer metrics (5.x slave sync).
	RequestGetTimerMetrics int32 = 61
	// RequestPutKVConfig (PUT_KV_CONFIG): store a name-server KV entry.
	RequestPutKVConfig int32 = 100
	// RequestGetKVConfig (GET_KV_CONFIG): read a name-server KV entry.
	RequestGetKVConfig int32 = 101
	// RequestDeleteKVConfig (DELETE_KV_CONFIG): delete a name-server KV entry.
	RequestDeleteKVConfig int32 = 102
	// RequestRegisterBroker (REGISTER_BROKER): broker registers itself and its topics with a name server.
	RequestRegisterBroker int32 = 103
	// RequestUnregisterBroker (UNREGISTER_BROKER): broker leaves a name server.
	RequestUnregisterBroker int32 = 104
	// RequestGetRouteInfoByTopic (GET_ROUTEINFO_BY_TOPIC): read the route data of a topic.
	RequestGetRouteInfoByTopic int32 = 105
	// RequestGetBrokerClusterInfo (GET_BROKER_CLUSTER_INFO): read the cluster map of a name server.
	RequestGetBrokerClusterInfo int32 = 106
	// RequestUpdateAndCreateSubscriptionGroup (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP): create or update a subscription group.
	RequestUpdateAndCreateSubscriptionGroup int32 = 200
	// RequestGetAllSubscriptionGroupConfig (GET_ALL_SUBSCRIPTIONGROUP_CONFIG): fetch all subscription groups (also slave sync).
	RequestGetAllSubscriptionGroupConfig int32 = 201
	// RequestGetTopicStatsInfo (GET_TOPIC_STATS_INFO): read per-queue statistics of a topic.
	RequestGetTopicStatsInfo int32 = 202
	// RequestGetConsumerConnectionList (GET_CONSUMER_CONNECTION_LIST): list the connections of a consumer group.
	RequestGetConsumerConnectionList int32 = 203
	// RequestGetProducerConnectionList (GET_PRODUCER_CONNECTION_LIST): list the connections of a producer group.
	RequestGetProducerConnectionList int32 = 204
	// RequestWipeWritePermOfBroker (WIPE_WRITE_PERM_OF_BROKER): remove write permission of a broker on a name server.
	RequestWipeWritePermOfBroker int32 = 205
	// RequestGetAllTopicListFromNameServer (GET_ALL_TOPIC_LIST_FROM_NAMESERVER): list all topics known to a name server.
	RequestGetAllTopicListFromNameServer int32 = 206
	// RequestDeleteSubscriptionGroup (DELETE_SUBSCRIPTIONGROUP): delete a subscription group.
	RequestDeleteSubscriptionGroup int32 = 207
	// RequestGetConsumeStats (GET_CONSUME_STATS): read consumption statistics of a group.
	RequestGetConsumeStats int32 = 208
	// RequestSuspendConsumer (SUSPEND_CONSUMER): defined upstream, no handler anywhere.
	RequestSuspendConsumer int32 = 209
	// RequestResumeConsumer (RESUME_CONSUMER): defined upstream, no handler anywhere.
	RequestResumeConsumer int32 = 210
	// RequestResetConsumerOffsetInConsumer (RESET_CONSUMER_OFFSET_IN_CONSUMER): defined upstream, no handler anywhere.
	RequestResetConsumerOffsetInConsumer int32 = 211
	// RequestResetConsumerOffsetInBroker (RESET_CONSUMER_OFFSET_IN_BROKER): defined upstream, no handler anywhere.
	RequestResetConsumerOffsetInBroker int32 = 212
	// RequestAdjustConsumerThreadPool (ADJUST_CONSUMER_THREAD_POOL): defined upstream, no handler anywhere.
	RequestAdjustConsumerThreadPool int32 = 213
	// RequestWhoConsumeTheMessage (WHO_CONSUME_THE_MESSAGE): defined upstream, no handler anywhere.
	RequestWhoConsumeTheMessage int32 = 214
	// RequestDeleteTopicInBroker (DELETE_TOPIC_IN_BROKER): delete a topic on a broker.
	RequestDeleteTopicInBroker int32 = 215
	// RequestDeleteTopicInNamesrv (DELETE_TOPIC_IN_NAMESRV): delete a topic on a name server.
	RequestDeleteTopicInNamesrv int32 = 216
	// RequestRegisterTopicInNamesrv (REGISTER_TOPIC_IN_NAMESRV): register a topic's route on a name server (since 5.0).
	RequestRegisterTopicInNamesrv int32 = 217
	// RequestGetKVListByNamespace (GET_KVLIST_BY_NAMESPACE): list the KV entries of a namespace.
	RequestGetKVListByNamespace int32 = 219
	// RequestResetConsumerClientOffset (RESET_CONSUMER_CLIENT_OFFSET): broker tells a consumer to reset its offsets.
	RequestResetConsumerClientOffset int32 = 220
	// RequestGetConsumerStatusFromClient (GET_CONSUMER_STATUS_FROM_CLIENT): broker asks a consumer for its offsets.
	RequestGetConsumerStatusFromClient int32 = 221
	// RequestInvokeBrokerToResetOffset (INVOKE_BROKER_TO_RESET_OFFSET): admin asks a broker to reset a group's offsets.
	RequestInvokeBrokerToResetOffset int32 = 222
	// RequestInvokeBrokerToGetConsumerStatus (INVOKE_BROKER_TO_GET_CONSUMER_STATUS): admin asks a broker for consumer status.
	RequestInvokeBrokerToGetConsumerStatus int32 = 223
	// RequestGetTopicsByCluster (GET_TOPICS_BY_CLUSTER): list the topics of a cluster.
	RequestGetTopicsByCluster int32 = 224
	// RequestUpdateAndCreateSubscriptionGroupList (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST): create or update several subscription groups (since 5.3.1).
	RequestUpdateAndCreateSubscriptionGroupList int32 = 225
	// RequestQueryTopicConsumeByWho (QUERY_TOPIC_CONSUME_BY_WHO): list the groups consuming a topic.
	RequestQueryTopicConsumeByWho int32 = 300
	// RequestRegisterFilterServer (REGISTER_FILTER_SERVER): legacy filter server, no handler anywhere.
	RequestRegisterFilterServer int32 = 301
	// RequestRegisterMessageFilterClass (REGISTER_MESSAGE_FILTER_CLASS): legacy filter server, no handler anywhere.
	RequestRegisterMessageFilterClass int32 = 302
	// RequestQueryConsumeTimeSpan (QUERY_CONSUME_TIME_SPAN): read the consumed time span of a group.
	RequestQueryConsumeTimeSpan int32 = 303
	// RequestGetSystemTopicListFromNS (GET_SYSTEM_TOPIC_LIST_FROM_NS): list system topics known to a name server.
	RequestGetSystemTopicListFromNS int32 = 304
	// RequestGetSystemTopicListFromBroker (GET_SYSTEM_TOPIC_LIST_FROM_BROKER): list system topics of a broker.
	RequestGetSystemTopicListFromBroker int32 = 305
	// RequestCleanExpiredConsumeQueue (CLEAN_EXPIRED_CONSUMEQUEUE): clean expired consume queues.
	RequestCleanExpiredConsumeQueue int32 = 306
	// RequestGetConsumerRunningInfo (GET_CONSUMER_RUNNING_INFO): read a consumer's running info (broker to client, also admin to broker).
	RequestGetConsumerRunningInfo int32 = 307
	// RequestQueryCorrectionOffset (QUERY_CORRECTION_OFFSET): read correction offsets of groups.
	RequestQueryCorrectionOffset int32 = 308
	// RequestConsumeMessageDirectly (CONSUME_MESSAGE_DIRECTLY): make a consumer consume one message (broker to client, also admin to broker).
	RequestConsumeMessageDirectly int32 = 309
	// RequestSendMessageV2 (SEND_MESSAGE_V2): send a message (short-name header; the Java client's default).
	RequestSendMessageV2 int32 = 310
	// RequestGetUnitTopicList (GET_UNIT_TOPIC_LIST): list unit topics.
	RequestGetUnitTopicList int32 = 311
	// RequestGetHasUnitSubTopicList (GET_HAS_UNIT_SUB_TOPIC_LIST): list topics with unit subscriptions.
	RequestGetHasUnitSubTopicList int32 = 312
	// RequestGetHasUnitSubUnunitTopicList (GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST): list non-unit topics with unit subscriptions.
	RequestGetHasUnitSubUnunitTopicList int32 = 313
	// RequestCloneGroupOffset (CLONE_GROUP_OFFSET): copy the offsets of one group to another.
	RequestCloneGroupOffset int32 = 314
	// RequestViewBrokerStatsData (VIEW_BROKER_STATS_DATA): read a broker statistics item.
	RequestViewBrokerStatsData int32 = 315
	// RequestCleanUnusedTopic (CLEAN_UNUSED_TOPIC): clean unused topics.
	RequestCleanUnusedTopic int32 = 316
	// RequestGetBrokerConsumeStats (GET_BROKER_CONSUME_STATS): read consumption statistics of a broker.
	RequestGetBrokerConsumeStats int32 = 317
	// RequestUpdateNamesrvConfig (UPDATE_NAMESRV_CONFIG): update name-server properties.
	RequestUpdateNamesrvConfig int32 = 318
	// RequestGetNamesrvConfig (GET_NAMESRV_CONFIG): read name-server properties.
	RequestGetNamesrvConfig int32 = 319
	// RequestSendBatchMessage (SEND_BATCH_MESSAGE): send a batch of messages.
	RequestSendBatchMessage int32 = 320
	// RequestQueryConsumeQueue (QUERY_CONSUME_QUEUE): read consume-queue entries.
	RequestQueryConsumeQueue int32 = 321
	// RequestQueryDataVersion (QUERY_DATA_VERSION): compare a broker's data version with a name server's.
	RequestQueryDataVersion int32 = 322
	// RequestResumeCheckHalfMessage (RESUME_CHECK_HALF_MESSAGE): resume transaction checks of a half message.
	RequestResumeCheckHalfMessage int32 = 323
	// RequestSendReplyMessage (SEND_REPLY_MESSAGE): send a reply message (long-name header).
	RequestSendReplyMessage int32 = 324
	// RequestSendReplyMessageV2 (SEND_REPLY_MESSAGE_V2): send a reply message (short-name header).
	RequestSendReplyMessageV2 int32 = 325
	// RequestPushReplyMessageToClient (PUSH_REPLY_MESSAGE_TO_CLIENT): broker delivers a reply to the requester.
	RequestPushReplyMessageToClient int32 = 326
	// RequestAddWritePermOfBroker (ADD_WRITE_PERM_OF_BROKER): restore write permission of a broker on a name server.
	RequestAddWritePermOfBroker int32 = 327
	// RequestGetAllProducerInfo (GET_ALL_PRODUCER_INFO): list all producers of a broker.
	RequestGetAllProducerInfo int32 = 328
	// RequestDeleteExpiredCommitLog (DELETE_EXPIRED_COMMITLOG): delete expired commit-log files.
	RequestDeleteExpiredCommitLog int32 = 329
	// RequestQueryTopicsByConsumer (QUERY_TOPICS_BY_CONSUMER): list the topics a group consumes (since 5.0).
	RequestQueryTopicsByConsumer int32 = 343
	// RequestQuerySubscriptionByConsumer (QUERY_SUBSCRIPTION_BY_CONSUMER): read a group's subscription of a topic (since 5.0).
	RequestQuerySubscriptionByConsumer int32 = 345
	// RequestGetTopicConfig (GET_TOPIC_CONFIG): read one topic config (since 5.0).
	RequestGetTopicConfig int32 = 351
	// RequestGetSubscriptionGroupConfig (GET_SUBSCRIPTIONGROUP_CONFIG): read one subscription group (since 5.0).
	RequestGetSubscriptionGroupConfig int32 = 352
	// RequestUpdateAndGetGroupForbidden (UPDATE_AND_GET_GROUP_FORBIDDEN): update or read a group's forbidden topics (since 5.0).
	RequestUpdateAndGetGroupForbidden int32 = 353
	// RequestCheckRocksDBCQWriteProgress (CHECK_ROCKSDB_CQ_WRITE_PROGRESS): check RocksDB consume-queue progress (since 5.3.1).
	RequestCheckRocksDBCQWriteProgress int32 = 354
	// RequestExportRocksDBConfigToJSON (EXPORT_ROCKSDB_CONFIG_TO_JSON): export RocksDB configs to JSON (since 5.3.2).
	RequestExportRocksDBConfigToJSON int32 = 355
	// RequestLitePullMessage (LITE_PULL_MESSAGE): pull for lite-pull consumers (since 5.0).
	RequestLitePullMessage int32 = 361
	// RequestRecallMessage (RECALL_MESSAGE): cancel a timer message by recall handle (since 5.3.2).
	RequestRecallMessage int32 = 370
	// RequestQueryAssignment (QUERY_ASSIGNMENT): server-side rebalance for pop mode (since 5.0).
	RequestQueryAssignment int32 = 400
	// RequestSetMessageRequestMode (SET_MESSAGE_REQUEST_MODE): set a group's pull or pop mode (since 5.0).
	RequestSetMessageRequestMode int32 = 401
	// RequestGetAllMessageRequestMode (GET_ALL_MESSAGE_REQUEST_MODE): fetch all message request modes (since 5.0, slave sync).
	RequestGetAllMessageRequestMode int32 = 402
	// RequestUpdateAndCreateStaticTopic (UPDATE_AND_CREATE_STATIC_TOPIC): create or update a static topic (since 5.0).
	RequestUpdateAndCreateStaticTopic int32 = 513
	// RequestGetBrokerMemberGroup (GET_BROKER_MEMBER_GROUP): read the members of a broker group (since 5.0).
	RequestGetBrokerMemberGroup int32 = 901
	// RequestAddBroker (ADD_BROKER): add a broker to a container (since 5.0).
	RequestAddBroker int32 = 902
	// RequestRemoveBroker (REMOVE_BROKER): remove a broker from a container (since 5.0).
	RequestRemoveBroker int32 = 903
	// RequestBrokerHeartbeat (BROKER_HEARTBEAT): light broker heartbeat to a name server (since 5.0).
	RequestBrokerHeartbeat int32 = 904
	// RequestNotifyMinBrokerIDChange (NOTIFY_MIN_BROKER_ID_CHANGE): name server tells brokers the minimum broker id changed (since 5.0).
	RequestNotifyMinBrokerIDChange int32 = 905
	// RequestExchangeBrokerHAInfo (EXCHANGE_BROKER_HA_INFO): exchange HA info between master and slave (since 5.0).
	RequestExchangeBrokerHAInfo int32 = 906
	// RequestGetBrokerHAStatus (GET_BROKER_HA_STATUS): read HA status (since 5.0).
	RequestGetBrokerHAStatus int32 = 907
	// RequestResetMasterFlushOffset (RESET_MASTER_FLUSH_OFFSET): reset the master flush offset (since 5.0).
	RequestResetMasterFlushOffset int32 = 908
	// RequestControllerAlterSyncStateSet (CONTROLLER_ALTER_SYNC_STATE_SET): controller: alter the sync state set.
	RequestControllerAlterSyncStateSet int32 = 1001
	// RequestControllerElectMaster (CONTROLLER_ELECT_MASTER): controller: elect a master.
	RequestControllerElectMaster int32 = 1002
	// RequestControllerRegisterBroker (CONTROLLER_REGISTER_BROKER): controller: register a broker.
	RequestControllerRegisterBroker int32 = 1003
	// RequestControllerGetReplicaInfo (CONTROLLER_GET_REPLICA_INFO): controller: read replica info.
	RequestControllerGetReplicaInfo int32 = 1004
	// RequestControllerGetMetadataInfo (CONTROLLER_GET_METADATA_INFO): controller: read controller metadata.
	RequestControllerGetMetadataInfo int32 = 1005
	// RequestControllerGetSyncStateData (CONTROLLER_GET_SYNC_STATE_DATA): controller: read sync state data.
	RequestControllerGetSyncStateData int32 = 1006
	// RequestGetBrokerEpochCache (GET_BROKER_EPOCH_CACHE): controller: read a broker's epoch cache.
	RequestGetBrokerEpochCache int32 = 1007
	// RequestNotifyBrokerRoleChanged (NOTIFY_BROKER_ROLE_CHANGED): controller: notify a broker of its new role.
	RequestNotifyBrokerRoleChanged int32 = 1008
	// RequestUpdateControllerConfig (UPDATE_CONTROLLER_CONFIG): controller: update properties.
	RequestUpdateControllerConfig int32 = 1009
	// RequestGetControllerConfig (GET_CONTROLLER_CONFIG): controller: read properties.
	RequestGetControllerConfig int32 = 1010
	// RequestCleanBrokerData (CLEAN_BROKER_DATA): controller: clean broker data.
	RequestCleanBrokerData int32 = 1011
	// RequestControllerGetNextBrokerID (CONTROLLER_GET_NEXT_BROKER_ID): controller: read the next broker id.
	RequestControllerGetNextBrokerID int32 = 1012
	// RequestControllerApplyBrokerID (CONTROLLER_APPLY_BROKER_ID): controller: apply for a broker id.
	RequestControllerApplyBrokerID int32 = 1013
	// RequestBrokerCloseChannelRequest (BROKER_CLOSE_CHANNEL_REQUEST): controller-internal (since 5.2).
	RequestBrokerCloseChannelRequest int32 = 1014
	// RequestCheckNotActiveBrokerRequest (CHECK_NOT_ACTIVE_BROKER_REQUEST): controller-internal (since 5.2).
	RequestCheckNotActiveBrokerRequest int32 = 1015
	// RequestGetBrokerLiveInfoRequest (GET_BROKER_LIVE_INFO_REQUEST): controller-internal (since 5.2).
	RequestGetBrokerLiveInfoRequest int32 = 1016
	// RequestGetSyncStateDataRequest (GET_SYNC_STATE_DATA_REQUEST): controller-internal (since 5.2).
	RequestGetSyncStateDataRequest int32 = 1017
	// RequestRaftBrokerHeartBeatEventRequest (RAFT_BROKER_HEART_BEAT_EVENT_REQUEST): controller-internal (since 5.2).
	RequestRaftBrokerHeartBeatEventRequest int32 = 1018
	// RequestUpdateColdDataFlowCtrConfig (UPDATE_COLD_DATA_FLOW_CTR_CONFIG): update cold-data flow control (since 5.1).
	RequestUpdateColdDataFlowCtrConfig int32 = 2001
	// RequestRemoveColdDataFlowCtrConfig (REMOVE_COLD_DATA_FLOW_CTR_CONFIG): remove cold-data flow control (since 5.1).
	RequestRemoveColdDataFlowCtrConfig int32 = 2002
	// RequestGetColdDataFlowCtrInfo (GET_COLD_DATA_FLOW_CTR_INFO): read cold-data flow control (since 5.1).
	RequestGetColdDataFlowCtrInfo int32 = 2003
	// RequestSetCommitLogReadMode (SET_COMMITLOG_READ_MODE): set the commit-log read mode (since 5.1).
	RequestSetCommitLogReadMode int32 = 2004
	// RequestAuthCreateUser (AUTH_CREATE_USER): ACL 2.0: create a user (since 5.3.0).
	RequestAuthCreateUser int32 = 3001
	// RequestAuthUpdateUser (AUTH_UPDATE_USER): ACL 2.0: update a user.
	RequestAuthUpdateUser int32 = 3002
	// RequestAuthDeleteUser (AUTH_DELETE_USER): ACL 2.0: delete a user.
	RequestAuthDeleteUser int32 = 3003
	// RequestAuthGetUser (AUTH_GET_USER): ACL 2.0: read a user.
	RequestAuthGetUser int32 = 3004
	// RequestAuthListUser (AUTH_LIST_USER): ACL 2.0: list users.
	RequestAuthListUser int32 = 3005
	// RequestAuthCreateACL (AUTH_CREATE_ACL): ACL 2.0: create an ACL.
	RequestAuthCreateACL int32 = 3006
	// RequestAuthUpdateACL (AUTH_UPDATE_ACL): ACL 2.0: update an ACL.
	RequestAuthUpdateACL int32 = 3007
	// RequestAuthDeleteACL (AUTH_DELETE_ACL): ACL 2.0: delete an ACL.
	RequestAuthDeleteACL int32 = 3008
	// RequestAuthGetACL (AUTH_GET_ACL): ACL 2.0: read an ACL.
	RequestAuthGetACL int32 = 3009
	// RequestAuthListACL (AUTH_LIST_ACL): ACL 2.0: list ACLs.
	RequestAuthListACL int32 = 3010
	// RequestPopMessage (POP_MESSAGE): POP: receive messages (JSON header only).
	RequestPopMessage int32 = 200050
	// RequestAckMessage (ACK_MESSAGE): POP: acknowledge a message.
	RequestAckMessage int32 = 200051
	// RequestBatchAckMessage (BATCH_ACK_MESSAGE): POP: acknowledge several messages (since 5.1).
	RequestBatchAckMessage int32 = 200151
	// RequestPeekMessage (PEEK_MESSAGE): POP: peek messages.
	RequestPeekMessage int32 = 200052
	// RequestChangeMessageInvisibleTime (CHANGE_MESSAGE_INVISIBLETIME): POP: change a message's invisible time.
	RequestChangeMessageInvisibleTime int32 = 200053
	// RequestNotification (NOTIFICATION): POP: long-poll for new messages.
	RequestNotification int32 = 200054
	// RequestPollingInfo (POLLING_INFO): POP: read polling info.
	RequestPollingInfo int32 = 200055
	// RequestPopRollback (POP_ROLLBACK): POP: roll back a pop.
	RequestPopRollback int32 = 200056
)

// Response codes.
const (
	// ResponseSuccess (SUCCESS): success.
	ResponseSuccess int32 = 0
	// ResponseSystemError (SYSTEM_ERROR): generic failure.
	ResponseSystemError int32 = 1
	// ResponseSystemBusy (SYSTEM_BUSY): flow control or overload.
	ResponseSystemBusy int32 = 2
	// ResponseRequestCodeNotSupported (REQUEST_CODE_NOT_SUPPORTED): the request code has no handler.
	ResponseRequestCodeNotSupported int32 = 3
	// ResponseTransactionFailed (TRANSACTION_FAILED): a transaction failed.
	ResponseTransactionFailed int32 = 4
	// ResponseFlushDiskTimeout (FLUSH_DISK_TIMEOUT): message stored but the synchronous flush timed out.
	ResponseFlushDiskTimeout int32 = 10
	// ResponseSlaveNotAvailable (SLAVE_NOT_AVAILABLE): message stored but the synchronous slave is missing.
	ResponseSlaveNotAvailable int32 = 11
	// ResponseFlushSlaveTimeout (FLUSH_SLAVE_TIMEOUT): message stored but the slave acknowledgement timed out.
	ResponseFlushSlaveTimeout int32 = 12
	// ResponseMessageIllegal (MESSAGE_ILLEGAL): message size, properties or topic are illegal.
	ResponseMessageIllegal int32 = 13
	// ResponseServiceNotAvailable (SERVICE_NOT_AVAILABLE): the broker cannot serve the request now (not writable, slave, disk full).
	ResponseServiceNotAvailable int32 = 14
	// ResponseVersionNotSupported (VERSION_NOT_SUPPORTED): the client version is not supported.
	ResponseVersionNotSupported int32 = 15
	// ResponseNoPermission (NO_PERMISSION): permission bits or authentication forbid the request.
	ResponseNoPermission int32 = 16
	// ResponseTopicNotExist (TOPIC_NOT_EXIST): the topic does not exist.
	ResponseTopicNotExist int32 = 17
	// ResponseTopicExistAlready (TOPIC_EXIST_ALREADY): the topic exists already.
	ResponseTopicExistAlready int32 = 18
	// ResponsePullNotFound (PULL_NOT_FOUND): no new message.
	ResponsePullNotFound int32 = 19
	// ResponsePullRetryImmediately (PULL_RETRY_IMMEDIATELY): messages exist but none matched; pull again now.
	ResponsePullRetryImmediately int32 = 20
	// ResponsePullOffsetMoved (PULL_OFFSET_MOVED): the requested offset is illegal; the response carries a corrected one.
	ResponsePullOffsetMoved int32 = 21
	// ResponseQueryNotFound (QUERY_NOT_FOUND): no consumer offset or no message matched the query.
	ResponseQueryNotFound int32 = 22
	// ResponseSubscriptionParseFailed (SUBSCRIPTION_PARSE_FAILED): the subscription expression cannot be parsed.
	ResponseSubscriptionParseFailed int32 = 23
	// ResponseSubscriptionNotExist (SUBSCRIPTION_NOT_EXIST): the subscription does not exist.
	ResponseSubscriptionNotExist int32 = 24
	// ResponseSubscriptionNotLatest (SUBSCRIPTION_NOT_LATEST): the subscription is not the latest.
	ResponseSubscriptionNotLatest int32 = 25
	// ResponseSubscriptionGroupNotExist (SUBSCRIPTION_GROUP_NOT_EXIST): the subscription group does not exist.
	ResponseSubscriptionGroupNotExist int32 = 26
	// ResponseFilterDataNotExist (FILTER_DATA_NOT_EXIST): the filter data does not exist.
	ResponseFilterDataNotExist int32 = 27
	// ResponseFilterDataNotLatest (FILTER_DATA_NOT_LATEST): the filter data is not the latest.
	ResponseFilterDataNotLatest int32 = 28
	// ResponseInvalidParameter (INVALID_PARAMETER): illegal queue id or topic name (since 5.3.2).
	ResponseInvalidParameter int32 = 29
	// ResponseTransactionShouldCommit (TRANSACTION_SHOULD_COMMIT): the transaction should be committed.
	ResponseTransactionShouldCommit int32 = 200
	// ResponseTransactionShouldRollback (TRANSACTION_SHOULD_ROLLBACK): the transaction should be rolled back.
	ResponseTransactionShouldRollback int32 = 201
	// ResponseTransactionStateUnknow (TRANSACTION_STATE_UNKNOW): the transaction state is unknown (upstream spelling).
	ResponseTransactionStateUnknow int32 = 202
	// ResponseTransactionStateGroupWrong (TRANSACTION_STATE_GROUP_WRONG): the transaction's producer group is wrong.
	ResponseTransactionStateGroupWrong int32 = 203
	// ResponseNoBuyerID (NO_BUYER_ID): no buyer id.
	ResponseNoBuyerID int32 = 204
	// ResponseNotInCurrentUnit (NOT_IN_CURRENT_UNIT): not in the current unit.
	ResponseNotInCurrentUnit int32 = 205
	// ResponseConsumerNotOnline (CONSUMER_NOT_ONLINE): the consumer is not online.
	ResponseConsumerNotOnline int32 = 206
	// ResponseConsumeMsgTimeout (CONSUME_MSG_TIMEOUT): consuming a message directly timed out.
	ResponseConsumeMsgTimeout int32 = 207
	// ResponseNoMessage (NO_MESSAGE): no message.
	ResponseNoMessage int32 = 208
	// ResponsePollingFull (POLLING_FULL): 5.x: too many polling requests (4.9.x: UPDATE_AND_CREATE_ACL_CONFIG_FAILED).
	ResponsePollingFull int32 = 209
	// ResponsePollingTimeout (POLLING_TIMEOUT): 5.x: polling timed out (4.9.x: DELETE_ACL_CONFIG_FAILED).
	ResponsePollingTimeout int32 = 210
	// ResponseBrokerNotExist (BROKER_NOT_EXIST): 5.x: the broker does not exist (4.9.x: UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED).
	ResponseBrokerNotExist int32 = 211
	// ResponseBrokerDispatchNotComplete (BROKER_DISPATCH_NOT_COMPLETE): 5.x: the broker has not dispatched everything yet.
	ResponseBrokerDispatchNotComplete int32 = 212
	// ResponseBroadcastConsumption (BROADCAST_CONSUMPTION): 5.x: the group consumes in broadcast mode.
	ResponseBroadcastConsumption int32 = 213
	// ResponseFlowControl (FLOW_CONTROL): flow control.
	ResponseFlowControl int32 = 215
	// ResponseNotLeaderForQueue (NOT_LEADER_FOR_QUEUE): 5.x static topics: this broker does not lead the queue.
	ResponseNotLeaderForQueue int32 = 501
	// ResponseIllegalOperation (ILLEGAL_OPERATION): the operation is illegal now (5.1+).
	ResponseIllegalOperation int32 = 604
	// ResponseGoAway (GO_AWAY): the server is shutting down (5.2+).
	ResponseGoAway int32 = 1500
	// ResponseRPCUnknown (RPC_UNKNOWN): 5.x client-local pseudo code, never on the wire.
	ResponseRPCUnknown int32 = -1000
	// ResponseRPCAddrIsNull (RPC_ADDR_IS_NULL): 5.x client-local pseudo code, never on the wire.
	ResponseRPCAddrIsNull int32 = -1002
	// ResponseRPCSendToChannelFailed (RPC_SEND_TO_CHANNEL_FAILED): 5.x client-local pseudo code, never on the wire.
	ResponseRPCSendToChannelFailed int32 = -1004
	// ResponseRPCTimeOut (RPC_TIME_OUT): 5.x client-local pseudo code, never on the wire.
	ResponseRPCTimeOut int32 = -1006
	// ResponseControllerFencedMasterEpoch (CONTROLLER_FENCED_MASTER_EPOCH): controller: fenced master epoch.
	ResponseControllerFencedMasterEpoch int32 = 2000
	// ResponseControllerFencedSyncStateSetEpoch (CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH): controller: fenced sync state set epoch.
	ResponseControllerFencedSyncStateSetEpoch int32 = 2001
	// ResponseControllerInvalidMaster (CONTROLLER_INVALID_MASTER): controller: invalid master.
	ResponseControllerInvalidMaster int32 = 2002
	// ResponseControllerInvalidReplicas (CONTROLLER_INVALID_REPLICAS): controller: invalid replicas.
	ResponseControllerInvalidReplicas int32 = 2003
	// ResponseControllerMasterNotAvailable (CONTROLLER_MASTER_NOT_AVAILABLE): controller: master not available.
	ResponseControllerMasterNotAvailable int32 = 2004
	// ResponseControllerInvalidRequest (CONTROLLER_INVALID_REQUEST): controller: invalid request.
	ResponseControllerInvalidRequest int32 = 2005
	// ResponseControllerBrokerNotAlive (CONTROLLER_BROKER_NOT_ALIVE): controller: broker not alive.
	ResponseControllerBrokerNotAlive int32 = 2006
	// ResponseControllerNotLeader (CONTROLLER_NOT_LEADER): controller: not the leader.
	ResponseControllerNotLeader int32 = 2007
	// ResponseControllerBrokerMetadataNotExist (CONTROLLER_BROKER_METADATA_NOT_EXIST): controller: broker metadata does not exist.
	ResponseControllerBrokerMetadataNotExist int32 = 2008
	// ResponseControllerInvalidCleanBrokerMetadata (CONTROLLER_INVALID_CLEAN_BROKER_METADATA): controller: invalid clean-broker-metadata request.
	ResponseControllerInvalidCleanBrokerMetadata int32 = 2009
	// ResponseControllerBrokerNeedToBeRegistered (CONTROLLER_BROKER_NEED_TO_BE_REGISTERED): controller: the broker must register first.
	ResponseControllerBrokerNeedToBeRegistered int32 = 2010
	// ResponseControllerMasterStillExist (CONTROLLER_MASTER_STILL_EXIST): controller: the master still exists.
	ResponseControllerMasterStillExist int32 = 2011
	// ResponseControllerElectMasterFailed (CONTROLLER_ELECT_MASTER_FAILED): controller: master election failed.
	ResponseControllerElectMasterFailed int32 = 2012
	// ResponseControllerAlterSyncStateSetFailed (CONTROLLER_ALTER_SYNC_STATE_SET_FAILED): controller: altering the sync state set failed.
	ResponseControllerAlterSyncStateSetFailed int32 = 2013
	// ResponseControllerBrokerIDInvalid (CONTROLLER_BROKER_ID_INVALID): controller: invalid broker id.
	ResponseControllerBrokerIDInvalid int32 = 2014
	// ResponseControllerJRaftInternalError (CONTROLLER_JRAFT_INTERNAL_ERROR): controller: JRaft internal error.
	ResponseControllerJRaftInternalError int32 = 2015
	// ResponseControllerBrokerLiveInfoNotExists (CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS): controller: broker live info does not exist.
	ResponseControllerBrokerLiveInfoNotExists int32 = 2016
	// ResponseUserNotExist (USER_NOT_EXIST): ACL 2.0: the user does not exist.
	ResponseUserNotExist int32 = 3001
	// ResponsePolicyNotExist (POLICY_NOT_EXIST): ACL 2.0: the policy does not exist.
	ResponsePolicyNotExist int32 = 3002
)

// Response codes of 4.9.x that 5.x reuses for other meanings (see ResponsePollingFull,
// ResponsePollingTimeout and ResponseBrokerNotExist).
const (
	// ResponseUpdateAndCreateACLConfigFailed (UPDATE_AND_CREATE_ACL_CONFIG_FAILED, 4.9.x).
	ResponseUpdateAndCreateACLConfigFailed int32 = 209
	// ResponseDeleteACLConfigFailed (DELETE_ACL_CONFIG_FAILED, 4.9.x).
	ResponseDeleteACLConfigFailed int32 = 210
	// ResponseUpdateGlobalWhiteAddrsConfigFailed (UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, 4.9.x).
	ResponseUpdateGlobalWhiteAddrsConfigFailed int32 = 211
)
