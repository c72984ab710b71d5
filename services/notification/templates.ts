import { CONVERSION_TEMPLATES } from './templates/conversion.ts';
import { CROSS_SELL_TEMPLATES } from './templates/cross-sell.ts';
import { FEEDBACK_TEMPLATES } from './templates/feedback.ts';
import { GENERIC_TEMPLATES } from './templates/generic.ts';
import { NEWSLETTER_TEMPLATES } from './templates/newsletter.ts';
import { PRODUCT_EDUCATION_TEMPLATES } from './templates/product-education.ts';
import { REACTIVATION_TEMPLATES } from './templates/reactivation.ts';
import { RENEWAL_TEMPLATES } from './templates/renewal.ts';
import { SIGNUP_TEMPLATES } from './templates/signup.ts';
import { SWITCHUP_TEMPLATES } from './templates/switchup.ts';

/**
 * Built-in templates (English). A client overrides any of them by storing a template with the same name;
 * journeys name templates, never inline copy, so marketing can change words without a deploy.
 * templates.test.ts fails when a campaign in campaigns/ names a template that is missing here, or passes
 * data a template cannot render.
 */
export type { TemplateContent } from './templates/content.ts';

import type { TemplateContent } from './templates/content.ts';

/** One set per journey (templates/<pulse>.ts) plus the generic ones; a name belongs to exactly one set. */
export const BUILT_IN_TEMPLATE_SETS: Readonly<Record<string, Record<string, TemplateContent>>> = {
  generic: GENERIC_TEMPLATES,
  signup: SIGNUP_TEMPLATES,
  conversion: CONVERSION_TEMPLATES,
  reactivation: REACTIVATION_TEMPLATES,
  'cross-sell': CROSS_SELL_TEMPLATES,
  renewal: RENEWAL_TEMPLATES,
  feedback: FEEDBACK_TEMPLATES,
  'product-education': PRODUCT_EDUCATION_TEMPLATES,
  switchup: SWITCHUP_TEMPLATES,
  newsletter: NEWSLETTER_TEMPLATES,
};

export const BUILT_IN_TEMPLATES: Record<string, TemplateContent> = Object.fromEntries(
  Object.values(BUILT_IN_TEMPLATE_SETS).flatMap((set) => Object.entries(set)),
);
