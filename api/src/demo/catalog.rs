//! The demo catalog: molecules of the national VBP batches with several specifications
//! each, from several manufacturers, with plausible ceilings per minimum unit; plus
//! drug-eluting coronary stents and primary total knee systems. It is written as a
//! catalog CSV and loaded through the real import ([`crate::catalog::import`]).

use std::fmt::Write as _;

use bidding_core::catalog::{DOSAGE_FORMS, parse_dosage_form};

use crate::demo::SUPPLIERS;

/// Ceilings of the demo are valid from this day on.
pub const VALID_FROM: &str = "2026-01-01";

/// (generic name, ATC level 4, dosage form, minimum unit, specs, pack counts); a spec is
/// (strength, unit, fill volume in ml or "", ceiling per minimum unit).
type Generic = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, &'static str)],
    &'static [u32],
);

#[rustfmt::skip]
const GENERICS: &[Generic] = &[
    ("阿托伐他汀钙片", "C10AA", "film_coated_tablet", "tablet", &[("10", "mg", "", "0.6200"), ("20", "mg", "", "1.0500"), ("40", "mg", "", "1.7900")], &[7, 14, 28]),
    ("瑞舒伐他汀钙片", "C10AA", "film_coated_tablet", "tablet", &[("5", "mg", "", "0.5500"), ("10", "mg", "", "0.9400"), ("20", "mg", "", "1.6000")], &[7, 28]),
    ("辛伐他汀片", "C10AA", "tablet", "tablet", &[("20", "mg", "", "0.3100"), ("40", "mg", "", "0.5300")], &[7, 28]),
    ("匹伐他汀钙片", "C10AA", "tablet", "tablet", &[("1", "mg", "", "1.2000"), ("2", "mg", "", "2.0400")], &[7, 14]),
    ("苯磺酸氨氯地平片", "C08CA", "tablet", "tablet", &[("2.5", "mg", "", "0.0900"), ("5", "mg", "", "0.1500")], &[7, 14, 28]),
    ("硝苯地平缓释片", "C08CA", "sustained_release_tablet", "tablet", &[("10", "mg", "", "0.1800"), ("20", "mg", "", "0.3100"), ("30", "mg", "", "0.4200")], &[30, 60]),
    ("非洛地平缓释片", "C08CA", "sustained_release_tablet", "tablet", &[("2.5", "mg", "", "0.4100"), ("5", "mg", "", "0.7000")], &[10, 20]),
    ("厄贝沙坦片", "C09CA", "tablet", "tablet", &[("75", "mg", "", "0.2600"), ("150", "mg", "", "0.4400")], &[14, 28]),
    ("氯沙坦钾片", "C09CA", "film_coated_tablet", "tablet", &[("50", "mg", "", "0.5800"), ("100", "mg", "", "0.9900")], &[7, 14]),
    ("缬沙坦胶囊", "C09CA", "capsule", "capsule", &[("40", "mg", "", "0.3000"), ("80", "mg", "", "0.5100")], &[7, 14, 28]),
    ("替米沙坦片", "C09CA", "tablet", "tablet", &[("40", "mg", "", "0.3300"), ("80", "mg", "", "0.5600")], &[7, 14]),
    ("坎地沙坦酯片", "C09CA", "tablet", "tablet", &[("4", "mg", "", "0.4500"), ("8", "mg", "", "0.7700")], &[14, 28]),
    ("奥美沙坦酯片", "C09CA", "film_coated_tablet", "tablet", &[("20", "mg", "", "0.9000"), ("40", "mg", "", "1.5300")], &[7, 14]),
    ("马来酸依那普利片", "C09AA", "tablet", "tablet", &[("5", "mg", "", "0.1100"), ("10", "mg", "", "0.1900")], &[16, 32]),
    ("盐酸贝那普利片", "C09AA", "film_coated_tablet", "tablet", &[("5", "mg", "", "0.3600"), ("10", "mg", "", "0.6100")], &[14, 28]),
    ("琥珀酸美托洛尔缓释片", "C07AB", "sustained_release_tablet", "tablet", &[("23.75", "mg", "", "0.5200"), ("47.5", "mg", "", "0.8800")], &[7, 14]),
    ("富马酸比索洛尔片", "C07AB", "tablet", "tablet", &[("2.5", "mg", "", "0.2900"), ("5", "mg", "", "0.4900")], &[10, 20]),
    ("硫酸氢氯吡格雷片", "B01AC", "film_coated_tablet", "tablet", &[("25", "mg", "", "0.5900"), ("75", "mg", "", "1.3200")], &[7, 14, 28]),
    ("替格瑞洛片", "B01AC", "film_coated_tablet", "tablet", &[("60", "mg", "", "1.9000"), ("90", "mg", "", "2.5000")], &[14, 28]),
    ("利伐沙班片", "B01AF", "film_coated_tablet", "tablet", &[("10", "mg", "", "2.9000"), ("15", "mg", "", "3.8000"), ("20", "mg", "", "4.9300")], &[7, 14]),
    ("盐酸二甲双胍片", "A10BA", "tablet", "tablet", &[("0.25", "g", "", "0.0300"), ("0.5", "g", "", "0.0510"), ("0.85", "g", "", "0.0780")], &[20, 48, 60]),
    ("盐酸二甲双胍缓释片", "A10BA", "sustained_release_tablet", "tablet", &[("0.5", "g", "", "0.1200")], &[30, 60]),
    ("格列美脲片", "A10BB", "tablet", "tablet", &[("1", "mg", "", "0.1500"), ("2", "mg", "", "0.2600")], &[15, 30]),
    ("格列齐特缓释片", "A10BB", "sustained_release_tablet", "tablet", &[("30", "mg", "", "0.3500"), ("60", "mg", "", "0.6000")], &[30, 60]),
    ("阿卡波糖片", "A10BF", "tablet", "tablet", &[("50", "mg", "", "0.4100"), ("100", "mg", "", "0.7000")], &[30, 60]),
    ("磷酸西格列汀片", "A10BH", "film_coated_tablet", "tablet", &[("25", "mg", "", "1.1000"), ("50", "mg", "", "1.8700"), ("100", "mg", "", "3.1800")], &[7, 14]),
    ("沙格列汀片", "A10BH", "film_coated_tablet", "tablet", &[("2.5", "mg", "", "1.7000"), ("5", "mg", "", "2.8900")], &[7, 14]),
    ("达格列净片", "A10BK", "film_coated_tablet", "tablet", &[("5", "mg", "", "1.7500"), ("10", "mg", "", "2.9800")], &[14, 28]),
    ("恩格列净片", "A10BK", "film_coated_tablet", "tablet", &[("10", "mg", "", "2.6000"), ("25", "mg", "", "4.7000")], &[10, 30]),
    ("恩替卡韦片", "J05AF", "film_coated_tablet", "tablet", &[("0.5", "mg", "", "0.2200"), ("1", "mg", "", "0.3800")], &[7, 14, 28]),
    ("富马酸替诺福韦二吡呋酯片", "J05AF", "film_coated_tablet", "tablet", &[("300", "mg", "", "0.6300")], &[30]),
    ("磷酸奥司他韦胶囊", "J05AH", "capsule", "capsule", &[("75", "mg", "", "3.6000")], &[6, 10]),
    ("孟鲁司特钠片", "R03DC", "film_coated_tablet", "tablet", &[("10", "mg", "", "0.9200")], &[5, 7, 14]),
    ("孟鲁司特钠颗粒", "R03DC", "granule", "sachet", &[("4", "mg", "0.5", "1.5000")], &[5, 10]),
    ("盐酸西替利嗪片", "R06AE", "film_coated_tablet", "tablet", &[("10", "mg", "", "0.1800")], &[6, 12, 24]),
    ("氯雷他定片", "R06AX", "tablet", "tablet", &[("10", "mg", "", "0.2100")], &[6, 12]),
    ("奥美拉唑肠溶胶囊", "A02BC", "enteric_coated_capsule", "capsule", &[("10", "mg", "", "0.1400"), ("20", "mg", "", "0.2400")], &[14, 28]),
    ("泮托拉唑钠肠溶片", "A02BC", "enteric_coated_tablet", "tablet", &[("20", "mg", "", "0.3900"), ("40", "mg", "", "0.6600")], &[7, 14]),
    ("埃索美拉唑镁肠溶片", "A02BC", "enteric_coated_tablet", "tablet", &[("20", "mg", "", "1.8000"), ("40", "mg", "", "3.0600")], &[7, 14]),
    ("雷贝拉唑钠肠溶片", "A02BC", "enteric_coated_tablet", "tablet", &[("10", "mg", "", "0.5500"), ("20", "mg", "", "0.9400")], &[7, 14]),
    ("枸橼酸莫沙必利片", "A03FA", "tablet", "tablet", &[("5", "mg", "", "0.3400")], &[12, 24]),
    ("左氧氟沙星片", "J01MA", "film_coated_tablet", "tablet", &[("0.25", "g", "", "0.4000"), ("0.5", "g", "", "0.6800")], &[4, 6, 10]),
    ("盐酸莫西沙星片", "J01MA", "film_coated_tablet", "tablet", &[("0.4", "g", "", "3.9000")], &[3, 6]),
    ("头孢呋辛酯片", "J01DC", "film_coated_tablet", "tablet", &[("0.125", "g", "", "0.3700"), ("0.25", "g", "", "0.6300")], &[6, 12]),
    ("阿奇霉素片", "J01FA", "film_coated_tablet", "tablet", &[("0.25", "g", "", "0.9500")], &[6, 12]),
    ("克拉霉素片", "J01FA", "film_coated_tablet", "tablet", &[("0.25", "g", "", "0.8200")], &[6, 12]),
    ("阿莫西林胶囊", "J01CA", "capsule", "capsule", &[("0.25", "g", "", "0.1100"), ("0.5", "g", "", "0.1900")], &[24, 36]),
    ("氟康唑胶囊", "J02AC", "capsule", "capsule", &[("50", "mg", "", "0.5200"), ("150", "mg", "", "1.1900")], &[1, 6]),
    ("盐酸舍曲林片", "N06AB", "film_coated_tablet", "tablet", &[("50", "mg", "", "1.1000")], &[7, 14, 28]),
    ("草酸艾司西酞普兰片", "N06AB", "film_coated_tablet", "tablet", &[("5", "mg", "", "1.4000"), ("10", "mg", "", "2.3800")], &[7, 14]),
    ("盐酸帕罗西汀片", "N06AB", "film_coated_tablet", "tablet", &[("20", "mg", "", "1.0500")], &[10, 20]),
    ("度洛西汀肠溶胶囊", "N06AX", "enteric_coated_capsule", "capsule", &[("20", "mg", "", "1.6000"), ("30", "mg", "", "2.1000"), ("60", "mg", "", "3.5700")], &[7, 14]),
    ("奥氮平片", "N05AH", "tablet", "tablet", &[("5", "mg", "", "0.9000"), ("10", "mg", "", "1.5300")], &[14, 28]),
    ("富马酸喹硫平片", "N05AH", "film_coated_tablet", "tablet", &[("25", "mg", "", "0.2300"), ("100", "mg", "", "0.6600"), ("200", "mg", "", "1.1200")], &[20, 30]),
    ("阿立哌唑片", "N05AX", "tablet", "tablet", &[("5", "mg", "", "0.9500"), ("10", "mg", "", "1.6200")], &[10, 20]),
    ("利培酮片", "N05AX", "tablet", "tablet", &[("1", "mg", "", "0.2900"), ("2", "mg", "", "0.4900")], &[20, 60]),
    ("左乙拉西坦片", "N03AX", "film_coated_tablet", "tablet", &[("0.25", "g", "", "0.7800"), ("0.5", "g", "", "1.3300")], &[30, 60]),
    ("普瑞巴林胶囊", "N03AX", "capsule", "capsule", &[("75", "mg", "", "1.1000"), ("150", "mg", "", "1.8700")], &[8, 16]),
    ("加巴喷丁胶囊", "N03AX", "capsule", "capsule", &[("0.1", "g", "", "0.2700"), ("0.3", "g", "", "0.6300")], &[24, 50]),
    ("盐酸多奈哌齐片", "N06DA", "film_coated_tablet", "tablet", &[("5", "mg", "", "1.2000"), ("10", "mg", "", "2.0400")], &[7, 14]),
    ("盐酸美金刚片", "N06DX", "film_coated_tablet", "tablet", &[("10", "mg", "", "1.3000")], &[14, 28]),
    ("塞来昔布胶囊", "M01AH", "capsule", "capsule", &[("0.2", "g", "", "0.8300")], &[6, 10]),
    ("盐酸坦索罗辛缓释胶囊", "G04CA", "sustained_release_capsule", "capsule", &[("0.2", "mg", "", "0.6100")], &[10, 30]),
    ("非那雄胺片", "G04CB", "film_coated_tablet", "tablet", &[("5", "mg", "", "0.4400")], &[10, 30]),
    ("枸橼酸西地那非片", "G04BE", "film_coated_tablet", "tablet", &[("25", "mg", "", "3.2000"), ("50", "mg", "", "5.4400"), ("100", "mg", "", "9.2500")], &[1, 5, 10]),
    ("他达拉非片", "G04BE", "film_coated_tablet", "tablet", &[("5", "mg", "", "2.2000"), ("20", "mg", "", "6.3600")], &[4, 28]),
    ("阿那曲唑片", "L02BG", "film_coated_tablet", "tablet", &[("1", "mg", "", "1.5000")], &[14, 28]),
    ("来曲唑片", "L02BG", "film_coated_tablet", "tablet", &[("2.5", "mg", "", "1.6000")], &[10, 30]),
    ("甲磺酸伊马替尼片", "L01EA", "film_coated_tablet", "tablet", &[("0.1", "g", "", "6.8000")], &[60, 120]),
    ("吉非替尼片", "L01EB", "film_coated_tablet", "tablet", &[("0.25", "g", "", "18.5000")], &[10, 30]),
    ("卡培他滨片", "L01BC", "film_coated_tablet", "tablet", &[("0.15", "g", "", "1.1000"), ("0.5", "g", "", "2.7000")], &[12, 60]),
    ("替莫唑胺胶囊", "L01AX", "capsule", "capsule", &[("5", "mg", "", "8.0000"), ("20", "mg", "", "23.1000"), ("100", "mg", "", "89.0000")], &[5]),
    ("比卡鲁胺片", "L02BB", "film_coated_tablet", "tablet", &[("50", "mg", "", "2.3000")], &[14, 28]),
    ("注射用培美曲塞二钠", "L01BA", "powder_for_injection", "vial", &[("0.1", "g", "", "210.0000"), ("0.5", "g", "", "760.0000")], &[1]),
    ("注射用硼替佐米", "L01XG", "powder_for_injection", "vial", &[("1", "mg", "", "480.0000"), ("3.5", "mg", "", "1180.0000")], &[1]),
    ("多西他赛注射液", "L01CD", "injection", "vial", &[("20", "mg", "0.5", "160.0000"), ("80", "mg", "2", "470.0000")], &[1]),
    ("奥沙利铂注射液", "L01XA", "injection", "vial", &[("50", "mg", "10", "110.0000"), ("100", "mg", "20", "190.0000")], &[1]),
    ("注射用头孢曲松钠", "J01DD", "powder_for_injection", "vial", &[("0.5", "g", "", "0.9000"), ("1", "g", "", "1.5300"), ("2", "g", "", "2.6000")], &[1, 10]),
    ("注射用头孢唑林钠", "J01DB", "powder_for_injection", "vial", &[("0.5", "g", "", "0.8500"), ("1", "g", "", "1.4500")], &[1, 10]),
    ("注射用美罗培南", "J01DH", "powder_for_injection", "vial", &[("0.25", "g", "", "18.0000"), ("0.5", "g", "", "30.6000")], &[1]),
    ("注射用埃索美拉唑钠", "A02BC", "powder_for_injection", "vial", &[("40", "mg", "", "9.8000")], &[1]),
    ("盐酸昂丹司琼注射液", "A04AA", "injection", "ampoule", &[("4", "mg", "2", "1.9000"), ("8", "mg", "4", "3.2000")], &[1, 5]),
    ("依诺肝素钠注射液", "B01AB", "injection", "syringe", &[("4000", "IU", "0.4", "14.5000"), ("6000", "IU", "0.6", "20.1000")], &[1, 2]),
    ("甘精胰岛素注射液", "A10AE", "injection", "cartridge", &[("300", "IU", "3", "63.0000")], &[1]),
    ("注射用青霉素钠", "J01CE", "powder_for_injection", "vial", &[("80", "万IU", "", "0.2600"), ("160", "万IU", "", "0.4400")], &[1, 50]),
    ("盐酸右美托咪定注射液", "N05CM", "injection", "ampoule", &[("0.2", "mg", "2", "38.0000")], &[1, 5]),
    ("碘海醇注射液", "V08AB", "injection", "bottle", &[("15", "g", "50", "42.0000"), ("30", "g", "100", "71.0000")], &[1]),
    ("乳果糖口服溶液", "A06AD", "oral_solution", "bottle", &[("66.7", "g", "100", "21.5000")], &[1]),
    ("布洛芬混悬液", "M01AE", "oral_suspension", "bottle", &[("2", "g", "100", "9.8000")], &[1]),
    ("左氧氟沙星滴眼液", "S01AE", "eye_drops", "bottle", &[("24.4", "mg", "5", "6.2000")], &[1]),
    ("吸入用布地奈德混悬液", "R03BA", "inhalation", "ampoule", &[("1", "mg", "2", "3.9000")], &[5, 10]),
];

/// Originator companies (not registered as suppliers in the demo).
const ORIGINATORS: &[&str] = &[
    "Pfizer Pharmaceuticals Ltd.",
    "AstraZeneca Pharmaceutical Co., Ltd.",
    "Sanofi (Hangzhou) Pharmaceuticals Co., Ltd.",
    "Merck Sharp & Dohme (China) Co., Ltd.",
    "Bayer HealthCare Co., Ltd.",
    "Novartis Pharmaceuticals (China)",
];

/// Other generic makers (not registered either).
const OTHERS: &[&str] = &[
    "Yangtze River Pharmaceutical Group Co., Ltd.",
    "Hansoh Pharmaceutical Group Co., Ltd.",
    "Zhejiang Hisun Pharmaceutical Co., Ltd.",
    "Shijiazhuang Yiling Pharmaceutical Co., Ltd.",
];

/// (product system, generic name, class levels, generic-name digits, ceiling per unit,
/// minimum unit, makers, models per maker).
type Device = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    u32,
);

const DEVICES: &[Device] = &[
    (
        "drug-eluting coronary stent system (药物洗脱冠脉支架系统)",
        "冠状动脉药物洗脱支架系统",
        "020401",
        "211",
        "2850.0000",
        "piece",
        &[
            "Lepu Medical Technology (Beijing) Co., Ltd.",
            "MicroPort Scientific Corporation",
            "Shandong JW Medical Systems Ltd.",
            "Sino Medical Sciences Technology Inc.",
            "Abbott Medical (Shanghai) Co., Ltd.",
            "Boston Scientific (Shanghai) Co., Ltd.",
        ],
        4,
    ),
    (
        "primary total knee system (初次置换人工全膝关节)",
        "人工膝关节置换系统（初次置换）",
        "030205",
        "104",
        "7620.0000",
        "set",
        &[
            "AK Medical Holdings Ltd.",
            "Beijing Chunlizhengda Medical Instruments Co., Ltd.",
            "Weigao Orthopaedic Device Co., Ltd.",
            "Zimmer Biomet (Shanghai) Co., Ltd.",
            "Stryker (Beijing) Medical Technology Co., Ltd.",
        ],
        3,
    ),
];

fn company_id(maker: &str) -> u32 {
    SUPPLIERS
        .iter()
        .chain(ORIGINATORS)
        .chain(OTHERS)
        .chain(DEVICES.iter().flat_map(|d| d.6.iter()))
        .position(|m| *m == maker)
        .map_or(999, |i| 101 + i as u32)
}

/// The demo catalog as a CSV file (UTF-8), and how many generics and rows it holds.
pub fn csv() -> (String, usize, usize) {
    let pharma: Vec<&str> = SUPPLIERS[..9].iter().chain(OTHERS).copied().collect();
    let mut out = String::from(
        "kind,code,generic_name,dosage_form,strength,strength_unit,fill_volume,fill_volume_unit,\
         pack_count,min_unit,consistency,manufacturer,ceiling_price,ceiling_valid_from,product_system\n",
    );
    let mut rows = 0;
    for (g, (name, atc, form, unit, specs, packs)) in GENERICS.iter().enumerate() {
        let form_code = parse_dosage_form(form)
            .and_then(|f| DOSAGE_FORMS.iter().position(|(x, _, _)| *x == f))
            .map_or(99, |i| i + 1);
        // the originator and three generic makers, rotating through the demo suppliers
        let mut makers = vec![(ORIGINATORS[g % ORIGINATORS.len()], "originator")];
        for k in 0..3 {
            let status = if (g + k) % 11 == 10 {
                "not_passed"
            } else if k == 0 && g % 4 == 0 {
                "reference"
            } else {
                "passed"
            };
            makers.push((pharma[(g * 3 + k) % pharma.len()], status));
        }
        for (maker, status) in &makers {
            for (s, (strength, s_unit, fill, ceiling)) in specs.iter().enumerate() {
                for (p, pack) in packs.iter().enumerate() {
                    let code = format!(
                        "X{atc}{}{:03}{}{:03}{:02}{:02}{:05}",
                        char::from(b'A' + (g / 100) as u8),
                        g % 100 + 1,
                        if form_code > 14 { 'B' } else { 'A' },
                        form_code,
                        s + 1,
                        p + 1,
                        company_id(maker)
                    );
                    let fill_unit = if fill.is_empty() { "" } else { "ml" };
                    let _ = writeln!(
                        out,
                        "drug,{code},{name},{form},{strength},{s_unit},{fill},{fill_unit},{pack},{unit},{status},\"{maker}\",{ceiling},{VALID_FROM},"
                    );
                    rows += 1;
                }
            }
        }
    }
    for (system, name, class, generic, ceiling, unit, makers, models) in DEVICES {
        for maker in *makers {
            for m in 0..*models {
                let code = format!(
                    "C{class}{generic}{:05}{:05}{:07}",
                    1,
                    company_id(maker),
                    m + 1
                );
                let _ = writeln!(
                    out,
                    "consumable,{code},{name},,,,,,1,{unit},,\"{maker}\",{ceiling},{VALID_FROM},\"{system}\""
                );
                rows += 1;
            }
        }
    }
    (out, GENERICS.len(), rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_catalog_is_large_and_its_codes_unique() {
        let (csv, generics, rows) = super::csv();
        assert!(generics >= 60, "{generics} generics");
        assert!(rows > 500, "{rows} rows");
        let mut codes = std::collections::HashSet::new();
        for line in csv.lines().skip(1) {
            let code = line.split(',').nth(1).unwrap_or_default();
            assert!(codes.insert(code.to_owned()), "{code} twice");
            assert!(bidding_core::catalog::parse_code(code).is_ok(), "{code}");
        }
    }
}
