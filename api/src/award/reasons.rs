//! Why a bid won, lost or was excluded, in English and Chinese, from the core's reasons.

use bidding_core::{BidOutcome, LossReason};

/// The outcome of a bid in words (for the evaluation and the notices).
pub fn reason_text(outcome: &BidOutcome) -> String {
    use bidding_core::{Admission as A, CeilingCheck, Ineligibility as I, UnsuccessfulReason as U};
    match outcome {
        BidOutcome::Won { rank, admitted_by } => {
            let why = match admitted_by {
                A::Lowest => "the lowest UCP".to_owned(),
                A::WithinRatioOfLowest { limit } => {
                    format!("UCP within the limit {limit} (ratio of the lowest)")
                }
                A::AbsoluteThreshold { limit } => {
                    format!("UCP at or below the absolute threshold {limit}")
                }
                A::ShareOfCeiling { limit } => {
                    format!("UCP at or below {limit} (share of the ceiling)")
                }
                A::WithinRatioOfAnchor { anchor, limit } => {
                    format!("UCP within {limit} (ratio of the anchor {anchor})")
                }
                A::OralSolidExemption { limit } => {
                    format!("oral solid at or below {limit}")
                }
                A::Revival { revival_ucp } => {
                    format!("accepted the revival price (UCP {revival_ucp})")
                }
            };
            format!("won, rank {rank}: {why}")
        }
        BidOutcome::Lost { reason } => match reason {
            LossReason::Ineligible { reason } => {
                let why = match reason {
                    I::NotInCatalog => "the product is not in the catalog".to_owned(),
                    I::WrongGeneric { expected, found } => {
                        format!("the product is {found}, the lot is {expected}")
                    }
                    I::WrongKind { expected, found } => format!(
                        "the product is a {}, the lot takes a {}",
                        bidding_core::catalog::kind_name(*found),
                        bidding_core::catalog::kind_name(*expected)
                    ),
                    I::ConsistencyNotPassed { .. } => {
                        "the product has not passed the consistency evaluation".to_owned()
                    }
                    I::SupplierInactive => "the supplier is not active".to_owned(),
                    I::SupplierBarred { until } => match until {
                        Some(d) => format!("the supplier is barred until {d}"),
                        None => "the supplier is barred".to_owned(),
                    },
                    I::ZeroPrice => "the price is zero".to_owned(),
                    I::NotComparable { detail } => {
                        format!("the specification is not comparable: {detail}")
                    }
                    I::DuplicateSupplierBid { .. } => {
                        "the supplier has a better bid in this lot".to_owned()
                    }
                };
                format!("lost, ineligible: {why}")
            }
            LossReason::AboveCeiling { check } => match check {
                CeilingCheck::ItemCeiling { price, ceiling } => {
                    format!("lost, invalid: price {price} above the item's ceiling {ceiling}")
                }
                CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp } => {
                    format!("lost, invalid: UCP {ucp} above the lot's ceiling {ceiling_ucp}")
                }
            },
            LossReason::AboveSelectionLimit { ucp, limit } => {
                format!("lost: UCP {ucp} above the selection limit {limit}")
            }
            LossReason::MaxWinnersReached {
                rank,
                max_winners,
                valid_bidders,
            } => format!(
                "lost: rank {rank}, but {valid_bidders} valid bidders allow at most {max_winners} winners"
            ),
            LossReason::LotUnsuccessful { reason } => match reason {
                U::NoValidBid => "lost: the lot has no valid bid".to_owned(),
                U::TooFewBidders {
                    valid_bidders,
                    min_bidders,
                } => format!(
                    "lost: the lot is unsuccessful ({valid_bidders} valid bidders, at least {min_bidders} needed)"
                ),
            },
        },
    }
}

/// Why a bid lost, in Chinese (the first half of the bilingual notices); `None` for a
/// winner. The same cases as [`reason_text`].
pub fn reason_text_zh(outcome: &BidOutcome) -> Option<String> {
    use bidding_core::{CeilingCheck, Ineligibility as I, UnsuccessfulReason as U};
    let kind_zh = |k: bidding_core::ProductKind| match k {
        bidding_core::ProductKind::Drug => "药品",
        bidding_core::ProductKind::Consumable => "医用耗材",
    };
    let BidOutcome::Lost { reason } = outcome else {
        return None;
    };
    Some(match reason {
        LossReason::Ineligible { reason } => {
            let why = match reason {
                I::NotInCatalog => "产品不在国家目录中".to_owned(),
                I::WrongGeneric { expected, found } => {
                    format!("产品为{found}，本组采购{expected}")
                }
                I::WrongKind { expected, found } => {
                    format!("产品为{}，本组采购{}", kind_zh(*found), kind_zh(*expected))
                }
                I::ConsistencyNotPassed { .. } => "产品未通过质量和疗效一致性评价".to_owned(),
                I::SupplierInactive => "企业处于停用状态".to_owned(),
                I::SupplierBarred { until } => match until {
                    Some(d) => format!("企业被限制参加集中采购至 {d}"),
                    None => "企业被限制参加集中采购".to_owned(),
                },
                I::ZeroPrice => "报价为零".to_owned(),
                I::NotComparable { .. } => "规格与代表品无法比较（无相应的差比价关系）".to_owned(),
                I::DuplicateSupplierBid { .. } => "企业在本组已有更优报价".to_owned(),
            };
            format!("未中选，不具备申报资格：{why}")
        }
        LossReason::AboveCeiling { check } => match check {
            CeilingCheck::ItemCeiling { price, ceiling } => {
                format!("未中选，无效报价：报价 {price} 高于该产品最高有效申报价 {ceiling}")
            }
            CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp } => {
                format!("未中选，无效报价：单位可比价 {ucp} 高于本组最高有效申报价 {ceiling_ucp}")
            }
        },
        LossReason::AboveSelectionLimit { ucp, limit } => {
            format!("未中选：单位可比价 {ucp} 高于入围限价 {limit}")
        }
        LossReason::MaxWinnersReached {
            rank,
            max_winners,
            valid_bidders,
        } => format!(
            "未中选：排名第 {rank}，{valid_bidders} 家有效申报企业至多 {max_winners} 家中选"
        ),
        LossReason::LotUnsuccessful { reason } => match reason {
            U::NoValidBid => "未中选：本组无有效报价".to_owned(),
            U::TooFewBidders {
                valid_bidders,
                min_bidders,
            } => format!(
                "未中选：本组流标（有效申报企业 {valid_bidders} 家，至少需要 {min_bidders} 家）"
            ),
        },
    })
}
