import FluentKit

/// Every migration, in order. Append only.
public enum CareMigrations {
    public static let all: [any Migration] = [
        M0001_CreateStores(),
        M0002_CreateCatalog(),
        M0003_CreateReviews(),
        M0004_CreateCare(),
        M0005_AddInboundSecret(),
        M0006_AddReviewUpdateInvitation(),
        M0007_CreateWebhookEndpoints(),
        M0008_CreateStaffSessions(),
        M0009_DashboardAtScale(),
        M0010_CreateSavedReplies(),
        M0011_CreateTriggerSweeps(),
        M0012_CreateReviewClaims(),
        M0013_PrivacyAndAudit(),
        M0014_SortedConversationLists(),
        M0015_CreateReviewRequests(),
        M0016_CreateReviewImports(),
        M0017_CreateHelpRequests(),
        M0018_RequestConversations(),
        M0019_OrderLocale(),
        M0020_CreateRequestTemplates(),
        M0021_ReplyTargets(),
        M0022_ConversationViewers(),
        M0023_ReviewsByStatus(),
        M0024_TriggerFireDays(),
        M0025_PhotosAndBrand(),
        M0026_MergedConversations(),
        M0027_SavedInboxViews(),
        M0028_MailThatBehaves(),
        M0029_ShopConnections(),
        M0030_EveryDay(),
        M0031_ListTallies(),
        M0032_PublicListOrder(),
    ]
}
