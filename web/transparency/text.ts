import type { Dict } from '../shared/i18n';

export const TEXT: Dict = {
    title: { en: 'Transparency report', ko: '투명성 보고서' },
    intro: {
        en: 'How often each organization, department and service read citizens’ data in a month, on what basis, how often it was refused, sealed (hidden from the citizen for a time, for an investigation) or released without consent in an emergency (break-glass), and how many objections and findings followed. Computed from the ledger; no personal data.',
        ko: '한 달 동안 각 기관·부서·서비스가 시민 정보를 몇 번, 어떤 근거로 열람했는지, 거부·수사 비공개·긴급 열람이 몇 건이었는지, 이의 신청과 감사 결과가 몇 건이었는지 보여 줍니다. 원장에서 계산하며 개인정보는 없습니다.',
    },
    suppressedNote: {
        en: 'A count from 1 to {max} is not published (“fewer than {min}”): so small a number could point to a person. There are no totals, so a hidden count cannot be worked out from the others.',
        ko: '1~{max}건은 공개하지 않습니다(“{min}건 미만”). 그렇게 작은 수는 특정인을 가리킬 수 있기 때문입니다. 합계도 없으므로 다른 수에서 숨긴 수를 계산할 수 없습니다.',
    },
    month: { en: 'Month', ko: '월' },
    show: { en: 'Show', ko: '보기' },
    caption: { en: 'Counts for {month}', ko: '{month} 통계' },
    org: { en: 'Organization', ko: '기관' },
    dept: { en: 'Department', ko: '부서' },
    service: { en: 'Service', ko: '서비스' },
    basis: { en: 'Basis', ko: '근거' },
    accesses: { en: 'Accesses', ko: '열람' },
    denials: { en: 'Refused', ko: '거부' },
    sealed: { en: 'Sealed', ko: '비공개' },
    breakGlass: { en: 'Break-glass', ko: '긴급 열람' },
    objections: { en: 'Objections', ko: '이의 신청' },
    findings: { en: 'Findings', ko: '감사 결과' },
    consent: { en: 'consent', ko: '동의' },
    legal: { en: 'law', ko: '법령' },
    investigation: { en: 'investigation', ko: '수사' },
    emergency: { en: 'emergency', ko: '긴급' },
    fewer: { en: 'fewer than {min}', ko: '{min}건 미만' },
    none: { en: 'Nothing was recorded in this month.', ko: '이 달에는 기록이 없습니다.' },
    incomplete: {
        en: 'Some recent activity is not counted yet (the monthly roll-up is running).',
        ko: '최근 일부 기록은 아직 집계되지 않았습니다(월간 집계 진행 중).',
    },
    loading: { en: 'Loading…', ko: '불러오는 중…' },
};
